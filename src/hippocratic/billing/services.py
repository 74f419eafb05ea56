"""Cards through the processor (PAY-1), read and written only for billing (PAY-2):
every query here names the payment-processing purpose. What the processor receives
is only what charging needs (DIS-6): see `processor_billing_fields`."""

import datetime as dt
import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from hippocratic.accounts.customer_log import record
from hippocratic.accounts.models import Service, Subscription
from hippocratic.accounts.services import ServiceRefused
from hippocratic.billing import periods
from hippocratic.billing.config import billing_settings
from hippocratic.billing.models import BillingEvent, Invoice, PaymentMethod, PaymentTerms
from hippocratic.billing.processors import CardDetails, CardToken, PaymentError, current_processor
from hippocratic.billing.signals import card_added
from hippocratic.enforcement.actors import Actor
from hippocratic.money import format_money, percent_of
from hippocratic.policy.models import RecipientKind
from hippocratic.policy.taxonomy import is_within
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose

CARD_CATEGORY = "user.financial.credit_card"
BILLING_DETAILS = "user.financial.billing_details"
logger = logging.getLogger(__name__)
BILLING_FIELDS = ("billing_name", "billing_address")


def payments_enabled() -> bool:
    """Whether the policy collects card data at all; Dracon's does not (PAY-3)."""
    return CARD_CATEGORY in current_policy().collected_categories()


def processor_billing_fields() -> tuple[str, ...]:
    """The billing fields the policy lets the payment processor receive (DIS-6): the
    name and address go with the card only where the processor's recipient entry
    lists billing details (or all of user.financial)."""
    for recipient in current_policy().recipients:
        if recipient.kind is RecipientKind.PAYMENT_PROCESSOR and any(
            is_within(BILLING_DETAILS, c) for c in recipient.categories
        ):
            return BILLING_FIELDS
    return ()


def add_card(
    actor: Actor, customer_id: int, card: CardDetails, billing: dict[str, str] | None = None
) -> PaymentMethod:
    """Send the card to the processor, which refuses it (PaymentError) or answers a
    token; keep the token, brand and last four digits, and the billing details asked
    with it. The new card replaces the one on file, which is detached at the
    processor; invoices waiting on a failed charge are tried again at once."""
    billing = {k: v for k, v in (billing or {}).items() if k in BILLING_FIELDS}
    shared = {k: v for k, v in billing.items() if k in processor_billing_fields()}
    processor = current_processor()
    token = processor.add_card(card, shared)  # the number leaves here and is not kept
    try:
        with transaction.atomic():
            method = _keep(actor, customer_id, processor.name, token, billing)
            replaced = _methods(actor, customer_id).exclude(pk=method.pk)
            old_tokens = list(replaced.values_list("processor_token", flat=True))
            replaced.delete()
            waiting = Invoice.objects.for_purpose(actor, Purpose.PAYMENT).filter(
                customer_id=customer_id,
                status__in=[Invoice.Status.RETRYING, Invoice.Status.UNPAID],
            )
            if waiting.update(status=Invoice.Status.RETRYING, next_attempt_at=timezone.now()):
                transaction.on_commit(lambda: card_added.send(sender=None, customer_id=customer_id))
    except BaseException:
        processor.detach(token.token)  # nothing kept here, so nothing left there
        raise
    for old in old_tokens:
        processor.detach(old)
    return method


def _keep(actor, customer_id: int, processor: str, token: CardToken, billing) -> PaymentMethod:
    method = PaymentMethod.objects.for_purpose(actor, Purpose.PAYMENT).create(
        customer_id=customer_id, processor=processor, processor_token=token.token,
        brand=token.brand, last4=token.last4, **billing,
    )  # fmt: skip
    # The log is account data, not financial: it names the card's brand, no digits.
    record(customer_id, BillingEvent.CARD_ADDED, token.brand, by=actor)
    return method


def _methods(actor: Actor, customer_id: int):
    return PaymentMethod.objects.for_purpose(actor, Purpose.PAYMENT).filter(customer_id=customer_id)


def remove_cards(actor: Actor, customer_id: int) -> int:
    """Remove the customer's cards: detached at the processor first, so that no token
    that can still be charged outlives its row here; then deleted. Returns how many.
    Called when the customer removes a card, and before an erasure (ACC-8)."""
    methods = _methods(actor, customer_id)
    tokens = list(methods.values_list("processor_token", flat=True))
    processor = current_processor()
    for token in tokens:
        processor.detach(token)
    if tokens:
        with transaction.atomic():
            # Detached above: blank, the deletion's own detaching (apps.py) skips them.
            methods.update(processor_token="")
            methods.delete()
            record(customer_id, BillingEvent.CARD_REMOVED, "", by=actor)
    return len(tokens)


def pays_by_transfer(actor: Actor, customer_id: int) -> bool:
    terms = PaymentTerms.objects.for_purpose(actor, Purpose.PAYMENT).filter(customer_id=customer_id)
    return terms.filter(pays_by=PaymentTerms.PaysBy.BANK_TRANSFER).exists()


def may_start(customer_id: int, service: Service) -> None:
    """A paid service starts only with a card on file, or where staff agreed payment
    by bank transfer; otherwise ServiceRefused, pointing at the card form."""
    if not service.monthly_price_cents or not payments_enabled():
        return
    me = Actor.for_customer(customer_id)
    if _methods(me, customer_id).exists() or pays_by_transfer(me, customer_id):
        return
    price = format_money(service.monthly_price_cents, service.currency)
    raise ServiceRefused(
        f"{service.name} is a paid service ({price} a month): add a card first, then "
        "choose it again.",
        where=reverse("billing:add_card"),
    )


def next_charge(customer_id: int, today: dt.date | None = None) -> tuple[dt.date, int] | None:
    """When the next invoice is issued, and what it would come to if nothing changed:
    this month's running services, pro-rated, with tax. None if nothing runs."""
    today = today or timezone.localdate()
    me, month = Actor.for_customer(customer_id), periods.month_of(today)
    config = billing_settings()
    prices = dict(Service.objects.values_list("pk", "monthly_price_cents"))
    currencies = dict(Service.objects.values_list("pk", "currency"))
    running = Subscription.objects.for_purpose(me, Purpose.PAYMENT).filter(
        customer_id=customer_id, status=Subscription.Status.ACTIVE
    )
    subtotal = 0
    for service_id, started in running.values_list("service_id", "created_at"):
        if currencies.get(service_id, "").upper() != config.currency:
            continue
        _, amount = periods.charge_for(
            prices.get(service_id, 0), month, timezone.localdate(started), None
        )
        subtotal += amount
    if not subtotal:
        return None
    return month.end, subtotal + percent_of(subtotal, config.tax_rate_percent)


# --- cards that go with their customer -------------------------------------------------


def detach_cards(sender, *, customer_id, by, **kwargs):
    """A token that can still be charged does not outlive an erasure (ACC-8): the
    `erasing` signal's receiver."""
    if payments_enabled():
        remove_cards(by, customer_id)


def detach_deleted(sender, instance, **kwargs):
    """However a card's row goes (a customer row deleted by retention takes its cards
    with it), its token is detached at the processor once the deletion commits."""
    token = instance.processor_token
    if token:
        transaction.on_commit(lambda: _detach(token))


def _detach(token: str) -> None:
    try:
        current_processor().detach(token)
    except PaymentError:
        logger.warning("a deleted card could not be detached at the processor: detach it there")
