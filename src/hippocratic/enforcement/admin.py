"""The audit log in the Django admin: read-only (the base for personal data is `personal_admin`)."""

from django.contrib import admin

from hippocratic.enforcement.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is appended to by the gateway, never edited by hand."""

    list_display = ("seq", "at", "actor", "role", "action", "subject", "purpose", "allowed")
    list_filter = ("allowed", "action", "subject", "reason")
    search_fields = ("actor", "purpose", "subject_ref")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
