"""What was asked and answered, sealed at rest (enforcement.sealing): a subject beside
the text, the text and the answer sealed (rows written before are sealed here), and a
keyed digest that finds a replayed post without the text in clear."""

from django.db import migrations, models

import hippocratic.enforcement.sealing


def seal_kept_text(apps, schema_editor):
    """Rows written before sealing hold plain text: read (a value not sealed reads as it
    is) and written again, sealed."""
    request = apps.get_model("requests", "Request")
    rows = request._base_manager.exclude(text="", answer="")
    for row in rows.iterator():
        row.save(update_fields=["text", "answer"])


class Migration(migrations.Migration):
    dependencies = [
        ("requests", "0003_audit_entries_by_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="request",
            name="digest",
            field=models.CharField(
                blank=True,
                db_index=True,
                help_text="A keyed hash of who asked what (never the text): a replayed post is found again; it goes with the text",
                max_length=64,
            ),
        ),
        migrations.AddField(
            model_name="request",
            name="subject",
            field=hippocratic.enforcement.sealing.SealedTextField(blank=True, max_length=200),
        ),
        migrations.AlterField(
            model_name="request",
            name="answer",
            field=hippocratic.enforcement.sealing.SealedTextField(blank=True, max_length=5000),
        ),
        migrations.AlterField(
            model_name="request",
            name="text",
            field=hippocratic.enforcement.sealing.SealedTextField(blank=True, max_length=5000),
        ),
        migrations.RunPython(seal_kept_text, migrations.RunPython.noop),
    ]
