"""Cards and charges through the processor (PAY-1), read and written only for
billing (PAY-2): every query here names the payment-processing purpose."""

from django.db import transaction

from hippocratic.accounts.customer_log import record
from hippocratic.billing.models import BillingEvent, Invoice, PaymentMethod
from hippocratic.billing.processors import CardDetails, current_processor
from hippocratic.enforcement.actors import Actor
from hippocratic.provider import current_policy

BILLING = "essential.service.payment_processing"
CARD_CATEGORY = "user.financial.credit_card"


def payments_enabled() -> bool:
    """Whether the policy collects card data at all; Dracon's does not (PAY-3)."""
    return CARD_CATEGORY in current_policy().collected_categories()


def add_card(
    actor: Actor, customer_id: int, card: CardDetails, billing: dict[str, str] | None = None
) -> PaymentMethod:
    """Send the card to the processor; keep its token, brand and last four digits,
    and the billing details asked with it (`billing`: billing_name, billing_address)."""
    processor = current_processor()
    token = processor.tokenize(card)  # the number leaves here and is not kept
    with transaction.atomic():
        method = PaymentMethod.objects.for_purpose(actor, BILLING).create(
            customer_id=customer_id, processor=processor.name, processor_token=token.token,
            brand=token.brand, last4=token.last4, **(billing or {}),
        )  # fmt: skip
        # The log is account data, not financial: it names the card's brand, no digits.
        record(customer_id, BillingEvent.CARD_ADDED, token.brand, by=actor)
    return method


def charge(
    actor: Actor, customer_id: int, amount_cents: int, currency: str, description: str
) -> Invoice:
    """Charge the customer's latest card and write the invoice."""
    methods = PaymentMethod.objects.for_purpose(actor, BILLING).filter(customer_id=customer_id)
    method = methods.order_by("-created_at").first()
    if method is None:
        raise LookupError("no card on file")
    done = current_processor().charge(method.processor_token, amount_cents, currency, description)
    with transaction.atomic():
        invoice = Invoice.objects.for_purpose(actor, BILLING).create(
            customer_id=customer_id, payment_method=method, description=description,
            amount_cents=done.amount_cents, currency=done.currency,
            processor_charge=done.reference,
            billing_name=method.billing_name, billing_address=method.billing_address,
        )  # fmt: skip
        record(customer_id, BillingEvent.CHARGED, description, by=actor)
    return invoice
