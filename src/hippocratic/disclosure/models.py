"""Disclosures of customer data to someone outside the provider: who asked, on which
ground, who approved, what left (a manifest with the package's hash), and when each
customer may see it (after a gag order ends). The rows name customers but hold none of
their details; what left is described by categories and row ids, and the audit log
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


class Partner(models.Model):
    """A partner the policy names (a recipient key), registered with its agreement: what
    it receives (categories, a ground the policy gives it), by its API token or by a
    scheduled export. Each share is a Disclosure (kind partner), so it is in the chain."""

    class Schedule(models.TextChoices):
        ON_DEMAND = "on_demand", "When the partner asks (API)"
        DAILY = "daily", "Every day (an export file), and when it asks"

    recipient = models.CharField(max_length=60, help_text="The policy's recipient key")
    name = models.CharField(max_length=200)
    agreement = models.CharField(max_length=300, help_text="The agreement's reference")
    ground = models.CharField(max_length=40, help_text="A ground the policy gives the recipient")
    categories = models.JSONField(default=list, help_text="What it receives")
    schedule = models.CharField(max_length=12, choices=Schedule.choices,
                                default=Schedule.ON_DEMAND)  # fmt: skip
    # SHA-256 of its API token: the token itself is shown once, when it is issued.
    token_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_shared_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} ({self.recipient})"
