"""The audit log in the Django admin: read-only (the base for personal data is `personal_admin`)."""

from django.contrib import admin

from hippocratic.enforcement.models import AuditEntry
from hippocratic.enforcement.personal_admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: the log is appended to by the gateway, never edited by hand."""

    list_display = ("seq", "at", "actor", "role", "action", "subject", "purpose", "allowed")
    list_filter = ("allowed", "action", "subject", "reason")
    search_fields = ("actor", "purpose", "subject_ref")
