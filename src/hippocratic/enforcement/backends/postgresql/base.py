"""Django's postgresql backend, gated (enforcement.gate)."""

from django.db.backends.postgresql import base

from hippocratic.enforcement.backends.gated import (
    GatedCreation,
    GatedOperations,
    GatedSchemaEditor,
    GatedWrapper,
)


class DatabaseOperations(GatedOperations, base.DatabaseOperations):
    compiler_module = "hippocratic.enforcement.backends.postgresql.compiler"


class DatabaseSchemaEditor(GatedSchemaEditor, base.DatabaseSchemaEditor):
    pass


class DatabaseCreation(GatedCreation, base.DatabaseCreation):
    pass


class DatabaseWrapper(GatedWrapper, base.DatabaseWrapper):
    ops_class = DatabaseOperations
    SchemaEditorClass = DatabaseSchemaEditor
    creation_class = DatabaseCreation
