"""The data customers keep in our online applications (COM-5)."""

from django.db import models
from django.utils import timezone

from hippocratic.accounts.models import CustomerOwnedModel
from hippocratic.communications.contents import ContentsManager
from hippocratic.enforcement.fields import personal

BUSINESS_DATA = "user.content.private.business_data"


class HostedRecord(CustomerOwnedModel):
    """A business record a customer keeps in our online applications (COM-5): a contact
    or a note of their organisation's."""

    class Kind(models.TextChoices):
        CONTACT = "contact", "Contact"
        NOTE = "note", "Note"

    technical_fields = ("id", "customer", "created_at", "kind", "updated_at")

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NOTE)
    title = personal(models.CharField(max_length=200), BUSINESS_DATA)
    body = personal(models.TextField(max_length=10_000, blank=True), BUSINESS_DATA)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ContentsManager()

    class Meta(CustomerOwnedModel.Meta):
        indexes = [models.Index(fields=["customer", "-updated_at"], name="records_recent")]

    def __str__(self):
        return f"Record #{self.pk}"
