"""Django's SQLite compilers, gated (enforcement.gate)."""

from django.db.models.sql import compiler

from hippocratic.enforcement.gate import gated_compilers

globals().update(gated_compilers(compiler))
