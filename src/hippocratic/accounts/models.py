"""Customers: the people and organisations the provider serves."""

from django.db import models
from django.utils import timezone

from hippocratic.enforcement.fields import personal
from hippocratic.enforcement.gateway import PersonalDataModel


class Customer(PersonalDataModel):
    """A customer's contact details and account status (ACC-1, ACC-3).

    A field whose category the provider's policy does not collect stays empty:
    the gateway refuses to write it (Dracon collects no e-mail address).
    """

    data_subject = "customer"
    technical_fields = ("id", "created_at", "closed_at")
    closure_clock = "closed_at"

    name = personal(models.CharField(max_length=200), "user.name")
    email = personal(models.EmailField(blank=True), "user.contact.email")
    phone = personal(models.CharField(max_length=40, blank=True), "user.contact.phone_number")
    address = personal(models.TextField(blank=True), "user.contact.address")
    company = personal(models.CharField(max_length=200, blank=True), "user.contact.organization")
    status = personal(models.CharField(max_length=20, default="active"), "user.account.settings")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta(PersonalDataModel.Meta):
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self):
        return f"Customer #{self.pk}"
