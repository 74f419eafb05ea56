"""AccessCase moves to the enforcement app (enforcement 0009); the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("communications", "0004_forwarding"),
        ("enforcement", "0009_access_cases"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AccessCase")],
            database_operations=[],
        ),
    ]
