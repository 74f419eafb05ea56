# Invoices are rebuilt as billing periods with lines, tax and status (issue 12).
# Until now an invoice was a row written by a direct charge (never made by the
# running site), so the old table is dropped rather than converted.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_bounded_addresses")]

    operations = [migrations.DeleteModel(name="Invoice")]
