"""Django admin, through the gateway: staff see personal data only for a purpose, audited."""

from django.contrib import admin

from hippocratic.enforcement.actors import Actor, staff_role
from hippocratic.enforcement.models import AuditEntry


class PersonalDataAdmin(admin.ModelAdmin):
    """Base admin for personal-data models: every queryset names actor and purpose."""

    admin_purpose = "essential.service"

    def has_delete_permission(self, request, obj=None):
        # Personal data goes by erasure (ACC-8) or retention, which keep what the law
        # requires and audit what they remove; never by a staff delete button.
        return False

    def get_queryset(self, request):
        actor = Actor.for_user(request.user, staff_role(request.user))
        qs = self.model.objects.for_purpose(actor, self.admin_purpose)
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs


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
