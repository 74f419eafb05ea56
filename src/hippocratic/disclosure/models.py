"""Disclosures of customer data to someone outside the provider: who asked, on which
ground, who approved, what left (a manifest with the package's hash), and when each
customer may see it (after a gag order ends). The rows name customers but hold none of
their details; what left is described by categories and row ids, and the audit chain
holds one `disclose` entry per customer with the same categories (DIS-1, DIS-8)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from hippocratic.accounts.models import CustomerOwnedModel


class Disclosure(models.Model):
    class Kind(models.TextChoices):
        SUBPOENA = "subpoena", "Subpoena"
        COURT_ORDER = "court_order", "Court order"
        WARRANT = "warrant", "Warrant"
        INTERCEPTION_ORDER = "interception_order", "Interception order"
        EMERGENCY = "emergency", "Emergency request"
        HARM = "harm", "To identify, contact or act against someone causing harm"
        PARTNER = "partner", "Sharing with a partner the policy names"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested, waiting for a second approver"
        DISCLOSED = "disclosed", "Disclosed"
        REJECTED = "rejected", "Rejected"
        CONTESTED = "contested", "Contested"

    class Decision(models.TextChoices):
        COMPLY = "comply", "Complied"
        PARTLY = "partly", "Complied in part"
        REJECT = "reject", "Rejected"
        CONTEST = "contest", "Contested"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    recipient = models.CharField(max_length=60, help_text="A recipient key from the policy")
    ground = models.CharField(max_length=40, help_text="A ground the policy gives the recipient")
    reference = models.CharField(max_length=300, help_text="The legal document or agreement")
    categories = models.JSONField(default=list, help_text="The data categories asked for")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    reasons = models.TextField(max_length=2000, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    gag_until = models.DateField(null=True, blank=True, help_text="No notice to the customer until")
    received_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True, blank=True)
    disclosed_at = models.DateTimeField(null=True, blank=True)
    manifest = models.JSONField(default=dict, blank=True, help_text="What left: ids, hash")

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} to {self.recipient}"


class DisclosedSubject(CustomerOwnedModel):
    """A customer whose data left in a disclosure, and from when they may see it."""

    technical_fields = ("id", "customer", "created_at", "disclosure", "visible_from")

    disclosure = models.ForeignKey(Disclosure, on_delete=models.CASCADE, related_name="subjects")
    visible_from = models.DateTimeField()

    class Meta(CustomerOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["disclosure", "customer"], name="one_per_subject")
        ]

    def __str__(self):
        return f"Disclosed subject #{self.pk}"


class PreservationHold(models.Model):
    """A preservation request: keep the named customers' data, disclose nothing, until
    released. While it holds, retention removes nothing of theirs (enforcement.retention)."""

    reference = models.CharField(max_length=300, help_text="The request's number or name")
    customers = models.JSONField(default=list, help_text="The customer numbers it names")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Preservation hold #{self.pk} ({self.reference})"
