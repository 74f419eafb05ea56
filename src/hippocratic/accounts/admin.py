from django.contrib import admin

from hippocratic.accounts.models import Customer
from hippocratic.enforcement.admin import PersonalDataAdmin


@admin.register(Customer)
class CustomerAdmin(PersonalDataAdmin):
    list_display = ("id", "name", "email", "status", "created_at")
    ordering = ("-created_at",)
