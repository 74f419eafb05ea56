from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.urls import URLPattern

from hippocratic.accounts.models import Customer, Prospect, Service
from hippocratic.enforcement.actors import staff_role
from hippocratic.enforcement.personal_admin import PersonalDataAdmin
from hippocratic.money import format_money
from hippocratic.purposes import Purpose


@admin.register(Customer)
class CustomerAdmin(PersonalDataAdmin):
    list_display = ("id", "name", "email", "status", "created_at")
    ordering = ("-created_at",)
    exclude = ("user",)
    readonly_fields = ("created_at", "closed_at")


@admin.register(Prospect)
class ProspectAdmin(PersonalDataAdmin):
    """Prospects apart from customers (ACC-6), read for the purpose their data serves."""

    admin_purpose = Purpose.MARKETING_EMAIL
    list_display = ("id", "name", "email", "created_at")
    ordering = ("-created_at",)
    readonly_fields = ("created_at",)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "price", "available")

    @admin.display(description="Monthly price", ordering="monthly_price_cents")
    def price(self, service):
        return format_money(service.monthly_price_cents, service.currency)

    def has_delete_permission(self, request, obj=None):
        return False  # retire a service by unticking "available": customers' history names it


admin.site.unregister(User)
admin.site.unregister(Group)


# Django's two-box chooser (filter_horizontal) labels its icons with a prohibited ARIA
# attribute (axe: aria-prohibited-attr, serious); the plain multiple choice has none.
@admin.register(Group)
class RoleGroupAdmin(GroupAdmin):
    filter_horizontal = ()


LOGIN_ROLES = ("staff.admin", "staff.support")


@admin.register(User)
class LoginAdmin(UserAdmin):
    """Logins, with no way for staff to set, ask for or see a password (SEC-2):
    customers choose theirs at sign-up; staff logins come from `hippocratic
    createsuperuser`, and a forgotten password is reset by its owner, never by staff."""

    filter_horizontal = ()  # the plain multiple choice (RoleGroupAdmin says why)

    fieldsets = tuple(
        (title, {**options, "fields": tuple(f for f in options["fields"] if f != "password")})
        for title, options in UserAdmin.fieldsets
    )
    readonly_fields = ("last_login", "date_joined")

    def has_add_permission(self, request):
        return False  # adding a login here would mean staff choosing its password

    # A user name is personal data (user.account.username): only staff whose role
    # serves the customer relationship see logins, whatever Django permissions say.
    def _serves_customers(self, request) -> bool:
        return staff_role(request.user) in LOGIN_ROLES

    def has_module_permission(self, request):
        return self._serves_customers(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._serves_customers(request) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._serves_customers(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A customer's login goes with the customer's erasure (ACC-8), never by a staff
        # delete button: no "Delete" page, no "Delete selected users" action.
        return False

    def get_urls(self):
        return [
            url for url in super().get_urls()
            if not (isinstance(url, URLPattern) and url.name and "password_change" in url.name)
        ]  # fmt: skip
