"""The audit log in the Django admin: read-only (the base for personal data is `personal_admin`)."""

from django.contrib import admin

from hippocratic.enforcement.models import AuditEntry
from hippocratic.enforcement.personal_admin import ReadOnlyAdmin
from hippocratic.policy import words
from hippocratic.policy.reasons import Reason
from hippocratic.provider import current_policy


class ReasonFilter(admin.SimpleListFilter):
    """The decision's reason, in words ("Purpose not declared"), not its code."""

    title, parameter_name = "reason", "reason"

    def lookups(self, request, model_admin):
        return [(r.value, words.readable(r.value)) for r in Reason]

    def queryset(self, request, queryset):
        return queryset.filter(reason=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: the log is appended to by the gateway, never edited by hand."""

    list_display = ("seq", "at", "actor", "role", "action", "subject", "purpose_in_words",
                    "allowed")  # fmt: skip
    list_filter = ("allowed", "action", "subject", ReasonFilter)
    search_fields = ("actor", "purpose", "subject_ref")

    @admin.display(description="Purpose", ordering="purpose")
    def purpose_in_words(self, entry):
        return words.use(current_policy(), entry.purpose)
