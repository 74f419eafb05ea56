"""PolicyVersion moves to the versions app (versions 0001): the notices point at it
there; nothing in the database changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("site", "0002_changes_and_notices"),
        ("versions", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="policynotice",
                    name="version",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="notices",
                        to="versions.policyversion",
                    ),
                ),
                migrations.DeleteModel(name="PolicyVersion"),
            ],
            database_operations=[],
        ),
    ]
