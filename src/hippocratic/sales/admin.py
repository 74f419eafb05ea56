from django.contrib import admin

from hippocratic.enforcement.personal_admin import PersonalDataAdmin
from hippocratic.purposes import Purpose
from hippocratic.sales.models import Affiliate, Order


@admin.register(Order)
class OrderAdmin(PersonalDataAdmin):
    """The sales-tracking records, read for the sales purpose."""

    admin_purpose = Purpose.SALES
    list_display = ("__str__", "service", "created_at")
    readonly_fields = ("service", "name", "email", "phone", "address", "company", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Affiliate)
class AffiliateAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "partner", "active")
