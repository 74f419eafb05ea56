from django.db import migrations


def create_head(apps, schema_editor):
    # The one row every append locks; it exists before the first append, so
    # concurrent first appends never race to create it.
    apps.get_model("enforcement", "AuditHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("enforcement", "0001_initial")]
    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
