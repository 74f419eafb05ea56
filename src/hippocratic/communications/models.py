"""Customers' mail kept for delivery (COM-1), the data they host in our applications
(COM-5), the access cases through which alone staff reach either (COM-2, COM-3,
COM-5), and reports of harmful messages (COM-4)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from hippocratic.accounts.models import Customer, CustomerOwnedModel
from hippocratic.enforcement.cases import ContentsManager
from hippocratic.enforcement.fields import personal

CONTENTS = "user.content.private"


class MailboxKey(models.Model):
    """A customer's mailbox key, wrapped by the master key (communications.crypto).
    Random bytes, not personal data; deleting the row is the crypto-erasure."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="+")
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Mailbox key of customer #{self.customer_id}"


class StoredMessage(CustomerOwnedModel):
    """One message for a customer's mailbox, sealed with their key: `summary` (sender,
    subject, date, for the list) and `content` (the message as it came)."""

    class Status(models.TextChoices):
        NEW = "new", "Not yet collected"
        DELIVERED = "delivered", "Collected"
        BLOCKED = "blocked", "Blocked"

    technical_fields = ("id", "customer", "created_at", "size", "status", "delivered_at",
                        "lookup")  # fmt: skip
    # Retention with after: delivery runs from here (COM-1); never collected, from arrival.
    delivery_clock = "delivered_at"

    summary = personal(models.BinaryField(), CONTENTS)
    content = personal(models.BinaryField(), CONTENTS)
    size = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # The keyed hash of its Message-ID (crypto.lookup_key).
    lookup = models.CharField(max_length=64)

    objects = ContentsManager(kind="messages", bulk_promise="COM-2", case_promise="COM-3")

    class Meta(CustomerOwnedModel.Meta):
        verbose_name, verbose_name_plural = "message kept for you", "mail kept for you"
        constraints = [
            models.UniqueConstraint(fields=["customer", "lookup"], name="message_stored_once")
        ]
        # A page is the customer's newest by number, on either database.
        indexes = [models.Index(fields=["customer", "-id"], name="mailbox_newest")]

    def __str__(self):
        return f"Message #{self.pk}"


class Forwarding(CustomerOwnedModel):
    """Where the customer has their mail forwarded (COM-1): a message forwarded there is
    delivered, and deleted the policy's period later like one read on the site."""

    technical_fields = ("id", "customer", "created_at")

    address = personal(models.EmailField(max_length=254), "user.contact.email")

    class Meta(CustomerOwnedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["customer"], name="one_forwarding")]

    def __str__(self):
        return f"Forwarding of customer #{self.customer_id}"


class HarmReport(models.Model):
    """A report that a stored message may cause harm (COM-4), and what staff decided.
    It names the message by number only; the message stays sealed until reviewed."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for review"
        BLOCKED = "blocked", "Access blocked"
        DELETED = "deleted", "Deleted"
        DISMISSED = "dismissed", "No action"

    message_id = models.BigIntegerField(null=True, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    by_owner = models.BooleanField(help_text="Reported by the mailbox's owner, else by others")
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    ground = models.CharField(max_length=200, blank=True, help_text="Why staff acted")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Harm report #{self.pk}"
