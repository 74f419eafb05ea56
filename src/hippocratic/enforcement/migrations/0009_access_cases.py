"""AccessCase, made in the communications app, is the gateway's from here on (staff
access under a case extends the gateway: enforcement.cases). The table stays."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("enforcement", "0008_gate_reasons"),
        ("communications", "0004_forwarding"),
        ("accounts", "0008_organisation_size"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AccessCase",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "what",
                            models.CharField(
                                choices=[("messages", "Messages"), ("records", "Hosted records")],
                                max_length=10,
                            ),
                        ),
                        ("ground", models.CharField(max_length=40)),
                        ("scope", models.JSONField(blank=True, default=list)),
                        (
                            "reason",
                            models.CharField(
                                help_text="Why: a ticket, a warrant's number", max_length=300
                            ),
                        ),
                        ("granted_by_customer", models.BooleanField(default=False)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("approved_at", models.DateTimeField(blank=True, null=True)),
                        ("expires_at", models.DateTimeField()),
                        ("closed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "approved_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "customer",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="accounts.customer",
                            ),
                        ),
                        (
                            "requested_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-created_at"],
                        "db_table": "communications_accesscase",
                        "indexes": [
                            models.Index(
                                fields=["customer", "-created_at"], name="cases_of_customer"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
