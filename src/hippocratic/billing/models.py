"""What billing keeps: the processor's token and display hints of a card (PAY-1),
and invoices, which the law requires to be kept (ACC-8)."""

from django.db import models

from hippocratic.accounts.models import Customer, CustomerOwnedModel
from hippocratic.enforcement.fields import personal

CARD = "user.financial.credit_card"
BILLING = "user.financial.billing_details"


class BillingEvent(models.TextChoices):
    """What billing writes to the customer log (accounts.customer_log.record)."""

    CARD_ADDED = "card_added", "Added a card"
    CHARGED = "charged", "Was billed"


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


class PaymentMethod(RetainedRecord):
    processor = models.CharField(max_length=20, default="sandbox")
    processor_token = personal(models.CharField(max_length=200), CARD)
    brand = personal(models.CharField(max_length=20), CARD)
    last4 = personal(models.CharField(max_length=4), CARD)
    # Asked with the card where the policy collects billing details at checkout.
    billing_name = personal(models.CharField(max_length=200, blank=True), BILLING)
    billing_address = personal(models.TextField(blank=True, max_length=500), BILLING)

    technical_fields = ("id", "customer", "created_at", "retained_since", "processor")

    class Meta(RetainedRecord.Meta):
        abstract = False

    def __str__(self):
        return f"Payment method #{self.pk}"


class Invoice(RetainedRecord):
    """One charge made through the processor. Where the policy collects billing
    details the invoice carries the name and address it is made out to."""

    technical_fields = ("id", "customer", "created_at", "retained_since", "payment_method")

    payment_method = models.ForeignKey(
        PaymentMethod, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = personal(models.CharField(max_length=200), BILLING)
    amount_cents = personal(models.PositiveIntegerField(), BILLING)
    currency = personal(models.CharField(max_length=3), BILLING)
    billing_name = personal(models.CharField(max_length=200, blank=True), BILLING)
    billing_address = personal(models.TextField(blank=True, max_length=500), BILLING)
    processor_charge = personal(models.CharField(max_length=200), CARD)

    class Meta(RetainedRecord.Meta):
        abstract = False
        indexes = [models.Index(fields=["customer", "created_at"])]

    def __str__(self):
        return f"Invoice #{self.pk}"
