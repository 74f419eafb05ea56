from django.db import migrations, models
from django.db.models import Count


def count_members(apps, schema_editor):
    """Each organisation's size from its members' rows, once (the schema's own work)."""
    Organisation = apps.get_model("accounts", "Organisation")
    for organisation in Organisation.objects.annotate(n=Count("members")):
        Organisation.objects.filter(pk=organisation.pk).update(size=organisation.n)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_customer_email_lower"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="size",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(count_members, migrations.RunPython.noop),
    ]
