"""Django's postgresql backend, gated (enforcement.gate)."""

from django.db.backends.postgresql import base

from hippocratic.enforcement.backends.gated import gated_backend

DatabaseWrapper = gated_backend(base, "hippocratic.enforcement.backends.postgresql.compiler")
