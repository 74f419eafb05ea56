"""What billing does when an account closes (accounts.closing): what is owed is
invoiced at once (the month so far, and a finished month the run has not invoiced
yet), every invoice still owed is charged while the card is on file, then the cards
are detached at the processor and deleted. The invoices stay, as the law requires
(the policy's retention for billing records runs from the closing).

Registered in BillingConfig.ready() as accounts.closing's CLOSING_TERMS and
CLOSING_STEPS."""

from django.db.models import Sum
from django.utils import timezone

from hippocratic.billing import periods, runs
from hippocratic.billing.models import Invoice, PaymentMethod
from hippocratic.billing.processors import PaymentError
from hippocratic.billing.services import next_charge, payments_enabled, remove_cards
from hippocratic.enforcement.actors import Actor
from hippocratic.money import format_money
from hippocratic.purposes import Purpose

OWED = (Invoice.Status.DUE, Invoice.Status.RETRYING, Invoice.Status.UNPAID)


def _owed(actor: Actor, customer_id: int) -> dict[str, int]:
    """What the customer's issued invoices still owe, per currency."""
    rows = Invoice.objects.for_purpose(actor, Purpose.PAYMENT).filter(
        customer_id=customer_id, status__in=[*OWED, Invoice.Status.AWAITING_TRANSFER]
    )
    return dict(rows.values("currency").annotate(owed=Sum("total")).values_list("currency", "owed"))


def terms(customer_id: int) -> list[str]:
    """What closing would do with the customer's billing, for the confirm page."""
    if not payments_enabled():
        return []
    me = Actor.for_customer(customer_id)
    said = []
    coming = next_charge(customer_id)
    if coming is not None:
        said.append(
            "A final invoice is issued at once for what your services have used up to today "
            "and has not been invoiced yet."
        )
    owed = _owed(me, customer_id)
    if owed:
        amounts = ", ".join(format_money(v, k) for k, v in sorted(owed.items()))
        said.append(f"Invoices you have not paid yet come to {amounts}.")
    cards = PaymentMethod.objects.for_purpose(me, Purpose.PAYMENT).filter(customer_id=customer_id)
    cards = list(cards.values_list("brand", "last4"))
    if cards:
        named = ", ".join(f"{brand.title()} ending {last4}" for brand, last4 in cards)
        said.append(
            f"What is owed is charged to your card ({named}); then the card is detached "
            "from our payment processor and deleted here."
        )
    elif coming is not None or owed:
        said.append("We will ask you to pay what is owed: there is no card on file.")
    return said


def settle(customer_id: int, by: Actor) -> list[str]:
    """Invoice and charge what is owed, then detach and delete the cards."""
    if not payments_enabled():
        return []
    now = timezone.now()
    today = timezone.localdate(now)
    before = set(_numbers(by, customer_id))
    runs.issue_invoices(periods.last_complete_month(today), now, customer_id=customer_id)
    runs.issue_invoices(periods.month_of(today), now, customer_id=customer_id)
    issued = [n for n in _numbers(by, customer_id) if n not in before]
    # One last try, with the card still on file, of what a declined charge left owed.
    Invoice.objects.for_purpose(by, Purpose.PAYMENT).filter(
        customer_id=customer_id, status=Invoice.Status.RETRYING
    ).update(next_attempt_at=now)
    runs.charge_due(now, runs.RunReport(), customer_id=customer_id)
    try:
        removed, later = remove_cards(by, customer_id), False
    except PaymentError:  # the processor did not answer: the hourly run detaches them
        removed, later = 0, True
    said = []
    invoices = Invoice.objects.for_purpose(by, Purpose.PAYMENT).filter(
        customer_id=customer_id, number__in=issued
    )
    for number, total, currency, status in invoices.values_list(
        "number", "total", "currency", "status"
    ):
        paid = "paid" if status == Invoice.Status.PAID else "not paid yet"
        said.append(f"Invoice {number}: {format_money(total, currency)}, {paid}.")
    owed = _owed(by, customer_id)
    if owed:
        amounts = ", ".join(format_money(v, k) for k, v in sorted(owed.items()))
        said.append(f"Still owed: {amounts}; your invoices stay on your billing records.")
    if removed:
        said.append("Your card was detached from our payment processor and deleted.")
    if later:
        said.append(
            "Our payment processor did not answer: your card will be detached there and "
            "deleted here by our hourly billing run."
        )
    return said


def _numbers(actor: Actor, customer_id: int) -> list[str]:
    rows = Invoice.objects.for_purpose(actor, Purpose.PAYMENT).filter(customer_id=customer_id)
    return list(rows.values_list("number", flat=True))
