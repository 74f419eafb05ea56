"""The data customers keep in our online applications (COM-5)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from hippocratic.accounts.models import CustomerOwnedModel
from hippocratic.enforcement.cases import ContentsManager
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

    objects = ContentsManager(kind="records", bulk_promise="COM-5", case_promise="COM-5")

    class Meta(CustomerOwnedModel.Meta):
        verbose_name = "record in our applications"
        verbose_name_plural = "records in our applications"
        indexes = [models.Index(fields=["customer", "-updated_at"], name="records_recent")]

    def __str__(self):
        return f"Record #{self.pk}"


class Integration(models.Model):
    """A customer's use of an integrated service (DIS-5): while it is on, the policy's
    integration partner may receive their data, business data included; only theirs.
    It names a customer and a recipient of the policy, and nothing they keep."""

    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="+")
    recipient = models.CharField(max_length=60, help_text="The policy's recipient key")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "recipient"],
                                    condition=Q(ended_at__isnull=True), name="one_integration_on")
        ]  # fmt: skip

    def __str__(self):
        return f"Customer #{self.customer_id} with {self.recipient}"
