"""A request names its work's audit entries by id: an entry's place in the log comes
from the sequencer, after the work commits (enforcement.sequencer)."""

from django.db import migrations, models


def seqs_to_ids(apps, schema_editor):
    entry = apps.get_model("enforcement", "AuditEntry")
    request = apps.get_model("requests", "Request")
    for row in request.objects.exclude(audit_entries=[]).only("pk", "audit_entries"):
        ids = dict(entry.objects.filter(seq__in=row.audit_entries).values_list("seq", "id"))
        row.audit_entries = [ids[s] for s in row.audit_entries if s in ids]
        row.save(update_fields=["audit_entries"])


class Migration(migrations.Migration):
    dependencies = [
        ("requests", "0002_mail_requests_into_the_ledger"),
        ("enforcement", "0010_audit_tree"),
    ]

    operations = [
        migrations.RenameField("request", "audit_seqs", "audit_entries"),
        migrations.AlterField(
            "request",
            "audit_entries",
            models.JSONField(
                blank=True, default=list, help_text="The ids of the work's audit entries"
            ),
        ),
        migrations.RunPython(seqs_to_ids, migrations.RunPython.noop),
    ]
