"""Diagnostic addresses (VIS-11) kept one row per address and hour, under a random key,
so that nothing in them matches a page view: the rows kept so far are carried over,
their times cut to the hour."""

import datetime as dt
import uuid

import django.db.models.manager
from django.db import migrations, models


def by_hour(apps, schema_editor):
    old = apps.get_model("tracking", "OldDiagnosticAddress")
    new = apps.get_model("tracking", "DiagnosticAddress")
    seen = set()
    for time, address in old.objects.exclude(ip_address=None).values_list("time", "ip_address"):
        seen.add((time.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0), address))
    new.objects.bulk_create(
        [new(id=uuid.uuid4(), hour=hour, ip_address=address) for hour, address in sorted(seen)],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("tracking", "0001_initial")]

    operations = [
        migrations.RenameModel("DiagnosticAddress", "OldDiagnosticAddress"),
        migrations.CreateModel(
            name="DiagnosticAddress",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "hour",
                    models.DateTimeField(db_index=True, help_text="The hour it was seen (UTC)"),
                ),
                ("ip_address", models.GenericIPAddressField()),
            ],
            options={"abstract": False, "base_manager_name": "internal"},
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("internal", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AddConstraint(
            model_name="diagnosticaddress",
            constraint=models.UniqueConstraint(
                fields=("hour", "ip_address"), name="one_address_an_hour"
            ),
        ),
        migrations.RunPython(by_hour, migrations.RunPython.noop),
        migrations.DeleteModel("OldDiagnosticAddress"),
    ]
