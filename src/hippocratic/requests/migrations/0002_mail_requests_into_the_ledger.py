"""The mail requests messaging kept (unsubscribe, reply, support) move into the one
ledger. Rows are copied as they are, status from done_at; nothing is read for any
purpose but the move, so it goes straight through the historical models."""

from django.db import migrations

KINDS = {"unsubscribe": ("unsubscribe", "email"), "reply": ("unsubscribe", "reply"),
         "support": ("support", "email")}  # fmt: skip


def forwards(apps, schema_editor):
    MailRequest = apps.get_model("messaging", "MailRequest")
    Request = apps.get_model("requests", "Request")
    moved = []
    for row in MailRequest._base_manager.all().iterator():
        kind, channel = KINDS.get(row.kind, ("support", "email"))
        moved.append(Request(
            customer_id=row.customer_id, created_at=row.created_at, kind=kind,
            channel=channel, requester="customer" if row.customer_id else "unverified",
            message_key=row.message_key, sender=row.sender, due_at=row.due_at,
            status="done" if row.done_at else "open", done_at=row.done_at,
            outcome=row.outcome,
        ))  # fmt: skip
    Request._base_manager.bulk_create(moved, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("requests", "0001_initial"),
        ("messaging", "0003_suppression_and_bounces"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
