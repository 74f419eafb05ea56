"""PolicyVersion, made in the site app (site 0001, 0002), is the versions app's from here
on: the table stays as it is, only Django's record of whose model it is moves."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("site", "0002_changes_and_notices")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PolicyVersion",
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
                        ("number", models.PositiveIntegerField(unique=True)),
                        ("sha256", models.CharField(max_length=64, unique=True)),
                        (
                            "text",
                            models.TextField(help_text="The policy file exactly as published"),
                        ),
                        ("revision_date", models.DateField()),
                        ("published_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("effective_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("published_by", models.CharField(blank=True, max_length=200)),
                        ("changes", models.JSONField(blank=True, default=list)),
                        ("material", models.BooleanField(default=False)),
                    ],
                    options={"ordering": ["number"], "db_table": "site_policyversion"},
                ),
            ],
            database_operations=[],
        ),
    ]
