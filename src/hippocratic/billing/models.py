"""What billing keeps: the processor's token and display hints of a card on file
(PAY-1), and the invoices, charge attempts and refunds, which the law requires to
be kept (ACC-8). Amounts are integer minor units of their currency (hippocratic.money).
"""

from django.db import models
from django.utils import timezone

from hippocratic.accounts.models import Customer, CustomerOwnedModel
from hippocratic.enforcement.fields import personal

CARD = "user.financial.credit_card"
BILLING = "user.financial.billing_details"


class BillingEvent(models.TextChoices):
    """What billing writes to the customer log (accounts.customer_log.record)."""

    CARD_ADDED = "card_added", "Added a card"
    CARD_REMOVED = "card_removed", "Removed a card"
    INVOICED = "invoiced", "Was invoiced"
    CHARGED = "charged", "Paid an invoice"
    CHARGE_FAILED = "charge_failed", "A charge failed"
    SUSPENDED = "suspended", "Services suspended for an unpaid invoice"


class RetainedRecord(CustomerOwnedModel):
    """A billing record: kept, and marked, when its customer's data is erased."""

    # PROTECT: a customer row is not deleted while a retained billing record names it.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="%(class)s_set")
    retained_since = models.DateTimeField(
        null=True, blank=True,
        help_text="Set when the customer's other data was erased: kept only because the law "
                  "requires it, until the policy's retention period ends.",
    )  # fmt: skip

    class Meta(CustomerOwnedModel.Meta):
        abstract = True


class PaymentMethod(CustomerOwnedModel):
    """The card on file, as the processor's token. Not a retained record: a token
    that can still be charged is removed, and detached at the processor, when the
    customer removes the card or is erased (billing.services.remove_cards)."""

    processor = models.CharField(max_length=20, default="sandbox")
    processor_token = personal(models.CharField(max_length=200), CARD)
    brand = personal(models.CharField(max_length=20), CARD)
    last4 = personal(models.CharField(max_length=4), CARD)
    # Asked with the card where the policy collects billing details at checkout.
    billing_name = personal(models.CharField(max_length=200, blank=True), BILLING)
    billing_address = personal(models.TextField(blank=True, max_length=500), BILLING)

    technical_fields = ("id", "customer", "created_at", "processor")

    def __str__(self):
        return f"Payment method #{self.pk}"


class PaymentTerms(CustomerOwnedModel):
    """How a customer pays, where staff agreed it is not by card: invoiced, paid by
    bank transfer. Customers without a row pay by card."""

    class PaysBy(models.TextChoices):
        CARD = "card", "Card on file"
        BANK_TRANSFER = "bank_transfer", "Invoice, paid by bank transfer"

    pays_by = personal(
        models.CharField(max_length=20, choices=PaysBy.choices, default=PaysBy.BANK_TRANSFER),
        BILLING,
    )

    class Meta(CustomerOwnedModel.Meta):
        verbose_name_plural = "payment terms"
        constraints = [models.UniqueConstraint(fields=["customer"], name="one_terms_per_customer")]

    def __str__(self):
        return f"Payment terms #{self.pk}"


class Invoice(RetainedRecord):
    """One billing period's services of one customer, in one currency.

    Its number is made of the period and the customer, so issuing twice issues once.
    Where the policy collects billing details it carries the name and address it is
    made out to, and the card it was charged to."""

    class Status(models.TextChoices):
        DUE = "due", "Due"
        PAID = "paid", "Paid"
        RETRYING = "retrying", "Payment failed; we will try again"
        UNPAID = "unpaid", "Unpaid; services suspended"
        AWAITING_TRANSFER = "awaiting_transfer", "Awaiting bank transfer"
        REFUNDED = "refunded", "Refunded"

    technical_fields = (
        "id", "customer", "created_at", "retained_since", "number", "period_start",
        "period_end", "tax_rate_percent", "attempts", "next_attempt_at",
    )  # fmt: skip

    number = models.CharField(max_length=40, unique=True)
    period_start = models.DateField()
    period_end = models.DateField(help_text="The day after the period's last day.")
    status = personal(
        models.CharField(max_length=20, choices=Status.choices, default=Status.DUE), BILLING
    )
    lines = personal(models.JSONField(default=list), BILLING)
    subtotal = personal(models.PositiveBigIntegerField(), BILLING)
    tax_rate_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    tax = personal(models.PositiveBigIntegerField(default=0), BILLING)
    total = personal(models.PositiveBigIntegerField(), BILLING)
    currency = personal(models.CharField(max_length=3), BILLING)
    billing_name = personal(models.CharField(max_length=200, blank=True), BILLING)
    billing_address = personal(models.TextField(blank=True, max_length=500), BILLING)
    card_brand = personal(models.CharField(max_length=20, blank=True), CARD)
    card_last4 = personal(models.CharField(max_length=4, blank=True), CARD)
    processor_charge = personal(models.CharField(max_length=200, blank=True), BILLING)
    paid_at = personal(models.DateTimeField(null=True, blank=True), BILLING)
    refunded = personal(models.PositiveBigIntegerField(default=0), BILLING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta(RetainedRecord.Meta):
        indexes = [
            models.Index(fields=["customer", "created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    def __str__(self):
        return f"Invoice {self.number}"


class ChargeAttempt(RetainedRecord):
    """One try at charging an invoice, written (status "sent") before the processor is
    asked, under an idempotency key the processor honours: a job killed between the
    processor's answer and ours asks again with the same key and gets the same charge."""

    class Status(models.TextChoices):
        SENT = "sent", "Sent to the processor, no answer recorded"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Declined"

    technical_fields = (
        "id", "customer", "created_at", "retained_since", "invoice", "attempt",
        "idempotency_key", "answered_at",
    )  # fmt: skip
    # The processor's code for an answer ("card_declined"): people read it in words.
    coded_fields = ("code",)

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="charge_attempts")
    attempt = models.PositiveSmallIntegerField()
    idempotency_key = models.CharField(max_length=80, unique=True)
    status = personal(
        models.CharField(max_length=20, choices=Status.choices, default=Status.SENT), BILLING
    )
    amount = personal(models.PositiveBigIntegerField(), BILLING)
    currency = personal(models.CharField(max_length=3), BILLING)
    code = personal(models.CharField(max_length=40, blank=True), BILLING)
    message = personal(models.CharField(max_length=200, blank=True), BILLING)
    processor_charge = personal(models.CharField(max_length=200, blank=True), BILLING)
    answered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Charge attempt {self.idempotency_key}"


class InvoiceRefund(RetainedRecord):
    """Money given back through the processor, by a member of staff."""

    technical_fields = ("id", "customer", "created_at", "retained_since", "invoice",
                        "idempotency_key", "staff")  # fmt: skip

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="refunds")
    idempotency_key = models.CharField(max_length=80, unique=True)
    amount = personal(models.PositiveBigIntegerField(), BILLING)
    processor_refund = personal(models.CharField(max_length=200), BILLING)
    staff = models.CharField(max_length=200, help_text="Who gave the refund (the audit label).")

    def __str__(self):
        return f"Refund #{self.pk}"


class SandboxLedgerEntry(models.Model):
    """The sandbox processor's own books: what a real processor keeps on its servers.

    Not Hippocratic's records and nothing personal: a token appears only as a digest.
    It lets a charge asked twice under one idempotency key be made once."""

    class Kind(models.TextChoices):
        CHARGE = "charge"
        REFUND = "refund"
        DETACH = "detach"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=100, unique=True)
    token_digest = models.CharField(max_length=64, blank=True, db_index=True)
    refers_to = models.CharField(max_length=100, blank=True)
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    amount = models.PositiveBigIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True)
    code = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "sandbox ledger entries"

    def __str__(self):
        return f"{self.kind} {self.reference or self.idempotency_key}"
