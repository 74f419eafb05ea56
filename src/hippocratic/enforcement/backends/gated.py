"""What both backends add to Django's: the gate's cursor guard on every connection,
and Django's own bulk work on every table (migrations, flush, a test database's copy)
let through as the schema owner's work, not a read of anyone's data.

The backend loads before any model, and the gate reads the models: so the compilers
are named by a dotted path (Django resolves `compiler_module` late), and the guard is
resolved on its first statement."""

from functools import cache

from django.utils.module_loading import import_string

from hippocratic.enforcement.decided import decided_elsewhere


class GatedOperations:
    def execute_sql_flush(self, sql_list):
        with decided_elsewhere():  # `flush` empties every table (tests, `flush`)
            return super().execute_sql_flush(sql_list)


class GatedSchemaEditor:
    """Migrations change tables, and their data migrations move rows: the schema's
    owner's work, decided by whoever runs `migrate`."""

    def __enter__(self):
        self._schema_work = decided_elsewhere()
        self._schema_work.__enter__()
        return super().__enter__()

    def __exit__(self, exc_type, exc_value, traceback):
        try:
            return super().__exit__(exc_type, exc_value, traceback)
        finally:
            self._schema_work.__exit__(exc_type, exc_value, traceback)


class GatedCreation:
    """A test database's copy of itself, for tests that restore it."""

    def serialize_db_to_string(self):
        with decided_elsewhere():
            return super().serialize_db_to_string()

    def deserialize_db_from_string(self, data):
        with decided_elsewhere():
            return super().deserialize_db_from_string(data)


class GatedWrapper:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.execute_wrappers.append(_guard)


def _guard(execute, sql, params, many, context):
    return _gate_guard()(execute, sql, params, many, context)


@cache
def _gate_guard():
    return import_string("hippocratic.enforcement.gate.guard")


def gated_backend(base, compiler_module: str) -> type:
    """The DatabaseWrapper of Django's backend module `base`, gated: its compilers from
    `compiler_module`, its operations, schema editor and test-database creation above."""
    operations = type(
        "DatabaseOperations", (GatedOperations, base.DatabaseOperations),
        {"compiler_module": compiler_module},
    )  # fmt: skip
    editor = type("DatabaseSchemaEditor", (GatedSchemaEditor, base.DatabaseSchemaEditor), {})
    creation = type("DatabaseCreation", (GatedCreation, base.DatabaseCreation), {})
    return type(
        "DatabaseWrapper", (GatedWrapper, base.DatabaseWrapper),
        {"ops_class": operations, "SchemaEditorClass": editor, "creation_class": creation},
    )  # fmt: skip
