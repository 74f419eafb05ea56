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
    # One entry as staff read it: the purpose, the categories and the reason in words.
    fields = readonly_fields = (
        "seq", "at", "actor", "role", "action", "subject", "subject_ref", "purpose_in_words",
        "categories_in_words", "rows", "allowed", "reason_in_words", "rule", "promise",
        "policy_version", "hash", "prev_hash", "chain_hash",
    )  # fmt: skip

    @admin.display(description="Purpose", ordering="purpose")
    def purpose_in_words(self, entry):
        return words.use(current_policy(), entry.purpose)

    @admin.display(description="Categories")
    def categories_in_words(self, entry):
        return words.categories(current_policy(), entry.categories or []) or "—"

    @admin.display(description="Reason", ordering="reason")
    def reason_in_words(self, entry):
        return words.readable(entry.reason)
