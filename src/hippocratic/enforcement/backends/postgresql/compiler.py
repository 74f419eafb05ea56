"""Django's PostgreSQL compilers, gated (enforcement.gate)."""

from django.db.backends.postgresql import compiler as django_compilers

from hippocratic.enforcement.gate import gated_compilers

_gated = gated_compilers(django_compilers)
SQLCompiler = _gated["SQLCompiler"]
SQLAggregateCompiler = _gated["SQLAggregateCompiler"]
SQLInsertCompiler = _gated["SQLInsertCompiler"]
SQLUpdateCompiler = _gated["SQLUpdateCompiler"]
SQLDeleteCompiler = _gated["SQLDeleteCompiler"]
