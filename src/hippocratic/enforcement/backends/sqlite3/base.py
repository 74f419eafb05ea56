"""Django's sqlite3 backend, gated (enforcement.gate)."""

from django.db.backends.sqlite3 import base

from hippocratic.enforcement.backends.gated import gated_backend

DatabaseWrapper = gated_backend(base, "hippocratic.enforcement.backends.sqlite3.compiler")
