"""Whole-database scans: where does a piece of text still live?"""

from django.apps import apps
from django.db import connection, models

from hippocratic.enforcement.decided import decided_elsewhere

TIMES = (models.DateTimeField, models.DateField, models.TimeField, models.DurationField)
# Digests and signatures: hex and base64 that hold any four digits by chance.
DIGESTS = {"hash", "prev_hash", "sha256", "digest", "signature", "public_key"}


def tables_holding(text: str, *, skip=lambda table, column: False) -> list[str]:
    """Every table.column whose text holds `text`, but those `skip(table, column)` passes."""
    found = []
    quote = connection.ops.quote_name
    # A test's own scan of every table, personal ones too: decided here, by the test.
    with connection.cursor() as cursor, decided_elsewhere():
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            for field in model._meta.concrete_fields:
                if skip(table, field.column) or isinstance(field, TIMES):
                    continue  # a time's digits (…:42.424242) are no one's card number
                if field.column in DIGESTS:
                    continue
                cursor.execute(
                    f"SELECT COUNT(*) FROM {quote(table)} "  # noqa: S608
                    f"WHERE CAST({quote(field.column)} AS TEXT) LIKE %s",
                    [f"%{text}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{field.column}")
    return found
