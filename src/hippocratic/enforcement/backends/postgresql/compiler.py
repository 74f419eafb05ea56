"""Django's PostgreSQL compilers, gated (enforcement.gate)."""

from django.db.backends.postgresql import compiler

from hippocratic.enforcement.gate import gated_compilers

globals().update(gated_compilers(compiler))
