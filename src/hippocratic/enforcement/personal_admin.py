"""The base every app's admin of personal data builds on: the Django admin, through the
gateway. On the enforcement floor (not in `enforcement.admin`, an interface module) so
apps' admins import it without reaching into another app's admin."""

from django.contrib import admin

from hippocratic.enforcement.actors import Actor, staff_role
from hippocratic.enforcement.fields import category_of
from hippocratic.provider import current_engine, current_policy
from hippocratic.purposes import Purpose


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record nobody edits by hand (the audit log, access cases): listed, never
    added, changed or deleted in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PersonalDataAdmin(admin.ModelAdmin):
    """Base admin for personal-data models: every read names actor and purpose (the gate
    decides and audits the changelist, its counts and searches, and each object); a
    form leaves out the fields the role may not use for the purpose; a save is an
    UPDATE or INSERT the gateway decides and audits, of the form's fields only."""

    admin_purpose = Purpose.SERVICE

    def has_delete_permission(self, request, obj=None):
        # Personal data goes by erasure (ACC-8) or retention, which keep what the law
        # requires and audit what they remove; never by a staff delete button.
        return False

    def _acts_for_purpose(self, request) -> bool:
        """Whether the staff member's role may act for the admin's purpose at all."""
        return (
            current_engine()
            .decide(staff_role(request.user), self.admin_purpose, (), self.model.data_subject)
            .allowed
        )

    def offered(self) -> bool:
        """A policy that declares no such purpose (Dracon takes no payment, Ducallier
        tracks no sales) or no such subject (JAPOON keeps no prospects) has no such
        pages: every read would be refused."""
        policy = current_policy()
        return self.admin_purpose in policy.purposes and self.model.data_subject in policy.subjects

    def has_module_permission(self, request):
        return self.offered() and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self.offered() and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        allowed = self.offered() and super().has_add_permission(request)
        return allowed and self._acts_for_purpose(request)

    def has_change_permission(self, request, obj=None):
        allowed = self.offered() and super().has_change_permission(request, obj)
        return allowed and self._acts_for_purpose(request)

    def actor(self, request) -> Actor:
        return Actor.for_user(request.user, staff_role(request.user))

    def get_queryset(self, request):
        qs = self.model.objects.for_purpose(self.actor(request), self.admin_purpose)
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_exclude(self, request, obj=None):
        """The fields of a category this role may not use for the purpose: not shown,
        not written (the gateway would refuse them, or withhold them as empty)."""
        allowed = current_engine().allowed_categories(
            staff_role(request.user), self.admin_purpose,
            {category_of(f) for f in self.model.personal_fields()}, self.model.data_subject,
        )  # fmt: skip
        hidden = [f.name for f in self.model.personal_fields() if category_of(f) not in allowed]
        return [*(super().get_exclude(request, obj) or ()), *hidden]

    def save_model(self, request, obj, form, change):
        if change:  # read through the gateway: its scope decides the UPDATE
            obj.save(update_fields=[f for f in form.changed_data if f in form.fields])
        else:
            obj.bind(self.actor(request), self.admin_purpose).save()
