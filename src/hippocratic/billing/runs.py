"""The billing run (PAY-2: billing data used to bill, and for nothing else).

Run by the worker (billing.tasks.run_billing, hourly; each run does what is due):

1. Issue: for the last complete month, one invoice per customer and currency, a line
   per service, pro-rated by the days it ran, with the provider's tax rate. An
   invoice's number is made of month and customer, so a second run issues nothing.
2. Charge: each invoice that is due is charged through the processor. The attempt is
   written first, under an idempotency key, and only then is the processor asked; a
   run killed in between finds the attempt still "sent" and asks again with the same
   key, which the processor answers with the same charge: never two.
3. Dunning: a declined charge is tried again on the schedule (retry_after_days after
   the invoice), the customer told by mail each time; after the last retry the
   invoice is unpaid and the customer's services are suspended, and they are told.

Rows go in chunks: one transaction and one audit entry per chunk, not per customer.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from hippocratic.accounts import services as accounts
from hippocratic.accounts.customer_log import record_many
from hippocratic.accounts.models import Service, Subscription
from hippocratic.billing import notify, periods
from hippocratic.billing.config import BillingSettings, billing_settings
from hippocratic.billing.models import (
    BillingEvent,
    ChargeAttempt,
    Invoice,
    PaymentMethod,
    PaymentTerms,
)
from hippocratic.billing.processors import (
    ChargeRequest,
    PaymentError,
    ProcessorUnavailable,
    current_processor,
)
from hippocratic.billing.services import payments_enabled, remove_cards
from hippocratic.billing.signals import customer_to_tell
from hippocratic.enforcement.actors import Actor
from hippocratic.money import format_money, percent_of
from hippocratic.purposes import Purpose

SYSTEM = Actor.system("billing.run")
CHUNK = 500
NO_CARD = "no_card"


@dataclass
class RunReport:
    issued: int = 0
    paid: int = 0
    declined: int = 0
    unanswered: int = 0
    suspended: list[int] = field(default_factory=list)
    cards_removed: int = 0


def run(now: dt.datetime | None = None) -> RunReport:
    """Issue what is due to be issued, then charge what is due to be charged."""
    now = now or timezone.now()
    report = RunReport()
    if not payments_enabled():
        return report  # no payment data under this policy (PAY-3): nothing to bill
    report.cards_removed = remove_cards_of_closed_accounts()
    report.issued = issue_invoices(periods.last_complete_month(timezone.localdate(now)), now)
    charge_due(now, report)
    return report


def remove_cards_of_closed_accounts() -> int:
    """A closed account's card is detached and deleted: the invoices are kept as the
    law requires, but a token that can still be charged is not."""
    closed = (
        PaymentMethod.objects.for_purpose(SYSTEM, Purpose.PAYMENT)
        .filter(customer__closed_at__isnull=False)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    return sum(remove_cards(SYSTEM, customer_id) for customer_id in list(closed))


# --- 1. Issue ------------------------------------------------------------------------------


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def issue_invoices(period: periods.Period, now: dt.datetime, customer_id: int | None = None) -> int:
    """Issue the period's invoices not issued yet (all customers', or one's: an account
    that closes is invoiced at once for the month so far); returns how many."""
    config = billing_settings()
    start, end = _midnight(period.start), _midnight(period.end)
    issued = Invoice.objects.for_purpose(SYSTEM, Purpose.PAYMENT).filter(period_start=period.start)
    used = Subscription.objects.for_purpose(SYSTEM, Purpose.PAYMENT)
    if customer_id is not None:
        issued, used = issued.filter(customer_id=customer_id), used.filter(customer_id=customer_id)
    done = set(issued.values_list("customer_id", flat=True))
    used = (
        used.filter(created_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .order_by("customer_id", "created_at")
        .values_list("customer_id", "pk", "service_id", "created_at", "ended_at")
    )
    catalogue = {s.pk: s for s in Service.objects.all()}
    lines: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for customer_id, sub_id, service_id, started, ended in used:
        service = catalogue[service_id]
        if customer_id in done or not service.monthly_price_cents:
            continue
        local_end = timezone.localdate(ended) if ended else None
        days, amount = periods.charge_for(
            service.monthly_price_cents, period, timezone.localdate(started), local_end
        )
        if amount:
            part = "" if days >= period.days else f" ({days} of {period.days} days)"
            lines[customer_id, service.currency.upper()].append({
                "description": f"{service.name}, {period.label()}{part}",
                "amount": amount, "subscription": sub_id,
            })  # fmt: skip
    keys = sorted(lines)
    count = 0
    for i in range(0, len(keys), CHUNK):
        count += _issue_chunk(keys[i : i + CHUNK], lines, period, now, config)
    return count


def _issue_chunk(keys, lines, period, now, config: BillingSettings) -> int:
    customers = {c for c, _ in keys}
    cards = _cards(customers)
    transfer = set(
        PaymentTerms.objects.for_purpose(SYSTEM, Purpose.PAYMENT)
        .filter(customer_id__in=customers, pays_by=PaymentTerms.PaysBy.BANK_TRANSFER)
        .values_list("customer_id", flat=True)
    )
    columns = ["customer_id", "number", "created_at", "period_start", "period_end", "status",
               "next_attempt_at", "lines", "subtotal", "tax_rate_percent", "tax", "total",
               "currency", "billing_name", "billing_address", "card_brand", "card_last4",
               "processor_charge", "refunded", "attempts"]  # fmt: skip
    rows, events = [], []
    for customer_id, currency in keys:
        subtotal = sum(line["amount"] for line in lines[customer_id, currency])
        tax = percent_of(subtotal, config.tax_rate_percent)
        card = cards.get(customer_id, {})
        number = f"{config.invoice_prefix}-{period.code}-{customer_id}"
        if currency != config.currency:
            number += f"-{currency}"
        by_transfer = customer_id in transfer
        rows.append((
            customer_id, number, now, period.start, period.end,
            Invoice.Status.AWAITING_TRANSFER if by_transfer else Invoice.Status.DUE,
            None if by_transfer else now, lines[customer_id, currency], subtotal,
            config.tax_rate_percent, tax, subtotal + tax, currency,
            card.get("billing_name", ""), card.get("billing_address", ""), "", "", "", 0, 0,
        ))  # fmt: skip
        events.append((customer_id, BillingEvent.INVOICED, number))
    # Plain rows, not model instances: ten thousand invoices in a run. A second run
    # racing this one fails on the invoice number's uniqueness and rolls back whole.
    with transaction.atomic():
        made = Invoice.objects.for_purpose(SYSTEM, Purpose.PAYMENT).insert_rows(columns, rows)
        record_many(events, by=SYSTEM)
    return made


def _cards(customers) -> dict[int, dict]:
    """The card on file of each of `customers` (the newest, if there were ever two)."""
    methods = (
        PaymentMethod.objects.for_purpose(SYSTEM, Purpose.PAYMENT)
        .filter(customer_id__in=customers)
        .order_by("created_at")
        .values("customer_id", "processor_token", "brand", "last4", "billing_name",
                "billing_address")
    )  # fmt: skip
    return {m["customer_id"]: m for m in methods}


# --- 2. Charge and 3. dunning ------------------------------------------------------------------


@dataclass
class Outcome:
    attempt: dict  # ATTEMPT's fields
    invoice: dict
    card: dict
    charge: str = ""
    code: str = ""
    message: str = ""
    answered: bool = True


INVOICE = ("pk", "customer_id", "number", "total", "currency", "attempts", "created_at")


def _due(now: dt.datetime, customer_id: int | None = None):
    due = Invoice.objects.for_purpose(SYSTEM, Purpose.PAYMENT).filter(
        next_attempt_at__lte=now, status__in=[Invoice.Status.DUE, Invoice.Status.RETRYING]
    )
    return due if customer_id is None else due.filter(customer_id=customer_id)


def charge_due(now: dt.datetime, report: RunReport, customer_id: int | None = None) -> None:
    """Ask again what a killed run left unanswered, then charge what is due (all of
    it, or one customer's: a new card is tried at once)."""
    config = billing_settings()
    _finish_unanswered(now, report, config)
    last = 0
    while True:
        chunk = list(_due(now, customer_id).filter(pk__gt=last).order_by("pk").values_list(
            "pk", flat=True)[:CHUNK])  # fmt: skip
        if not chunk:
            return
        last = chunk[-1]
        _charge_chunk(chunk, now, report, config)


ATTEMPT = ("pk", "customer_id", "invoice_id", "idempotency_key", "amount", "currency")


def _claim(invoice_ids: list[int], now) -> list[dict]:
    """Take the invoices that are still due and still unclaimed, and mark them taken
    (no next attempt while this one is out). Two runs at once (the hourly run and a
    customer's new card) never take the same invoice: the rows are locked where the
    database can (PostgreSQL), and SQLite runs one writing transaction at a time."""
    free = list(
        _due(now).filter(pk__in=invoice_ids).select_for_update(skip_locked=True).values(*INVOICE)
    )
    Invoice.objects.for_purpose(SYSTEM, Purpose.PAYMENT).filter(
        pk__in=[inv["pk"] for inv in free]
    ).update(attempts=F("attempts") + 1, next_attempt_at=None)
    for inv in free:
        inv["attempts"] += 1
    return free


def _charge_chunk(invoice_ids: list[int], now, report: RunReport, config) -> None:
    attempts = ChargeAttempt.objects.for_purpose(SYSTEM, Purpose.PAYMENT)
    # Claimed, and the attempts written and committed, before the processor is asked:
    # the run's memory of what it asked.
    with transaction.atomic():
        chunk = _claim(invoice_ids, now)
        rows = [
            (inv["customer_id"], inv["pk"], inv["attempts"], f"{inv['number']}/{inv['attempts']}",
             ChargeAttempt.Status.SENT, inv["total"], inv["currency"], "", "", "", now)
            for inv in chunk
        ]  # fmt: skip
        attempts.insert_rows(
            ["customer_id", "invoice_id", "attempt", "idempotency_key", "status", "amount",
             "currency", "code", "message", "processor_charge", "created_at"],
            rows,
        )  # fmt: skip
    if not chunk:
        return
    sent = list(attempts.filter(idempotency_key__in=[r[3] for r in rows]).values(*ATTEMPT))
    _ask_and_record(sent, {inv["pk"]: inv for inv in chunk}, now, report, config)


def _finish_unanswered(now, report: RunReport, config) -> None:
    """Attempts a killed run sent but never recorded: asked again under the same key."""
    sent = list(
        ChargeAttempt.objects.for_purpose(SYSTEM, Purpose.PAYMENT)
        .filter(status=ChargeAttempt.Status.SENT)
        .values(*ATTEMPT)
    )
    if not sent:
        return
    invoices = (
        Invoice.objects.for_purpose(SYSTEM, Purpose.PAYMENT)
        .filter(pk__in={a["invoice_id"] for a in sent})
        .values(*INVOICE)
    )
    _ask_and_record(sent, {inv["pk"]: inv for inv in invoices}, now, report, config)


def _ask_and_record(attempts, invoices: dict[int, dict], now, report: RunReport, config) -> None:
    cards = _cards({a["customer_id"] for a in attempts})
    processor = current_processor()
    outcomes = []
    for attempt in attempts:
        card = cards.get(attempt["customer_id"])
        outcome = Outcome(attempt, invoices[attempt["invoice_id"]], card or {})
        if card is None:
            outcome.code, outcome.message = NO_CARD, "There is no card on file."
        else:
            request = ChargeRequest(
                token=card["processor_token"], amount=attempt["amount"],
                currency=attempt["currency"], invoice_number=outcome.invoice["number"],
                idempotency_key=attempt["idempotency_key"],
            )  # fmt: skip
            try:
                outcome.charge = processor.charge(request).reference
            except ProcessorUnavailable:
                outcome.answered = False  # asked again, same key, by the next run
            except PaymentError as refusal:
                outcome.code, outcome.message = refusal.code, str(refusal)[:200]
        outcomes.append(outcome)
    _record(outcomes, now, report, config)


def _record(outcomes: list[Outcome], now, report: RunReport, config: BillingSettings) -> None:
    answered = [o for o in outcomes if o.answered]
    report.unanswered += len(outcomes) - len(answered)
    attempts, invoices, events, told, suspend = [], [], [], [], []
    for o in answered:
        a, inv = o.attempt, o.invoice
        status = ChargeAttempt.Status.FAILED if o.code else ChargeAttempt.Status.SUCCEEDED
        attempts.append((a["pk"], status, o.charge, o.code, o.message, now))
        card = (o.card.get("brand", ""), o.card.get("last4", ""))
        if not o.code:
            invoices.append((inv["pk"], Invoice.Status.PAID, now, o.charge, *card, None))
            events.append((inv["customer_id"], BillingEvent.CHARGED, inv["number"]))
            report.paid += 1
        elif inv["attempts"] < config.attempts:
            retry = max(inv["created_at"] + config.retry_after[inv["attempts"] - 1], now)
            invoices.append((inv["pk"], Invoice.Status.RETRYING, None, "", *card, retry))
            events.append((inv["customer_id"], BillingEvent.CHARGE_FAILED, inv["number"]))
            told.append((inv["pk"], notify.CHARGE_FAILED))
            report.declined += 1
        else:
            invoices.append((inv["pk"], Invoice.Status.UNPAID, None, "", *card, None))
            events.append((inv["customer_id"], BillingEvent.SUSPENDED, inv["number"]))
            suspend.append(inv)
            report.declined += 1
    if not answered:
        return
    with transaction.atomic():
        ChargeAttempt.objects.for_purpose(SYSTEM, Purpose.PAYMENT).update_rows(
            ["status", "processor_charge", "code", "message", "answered_at"], attempts
        )
        Invoice.objects.for_purpose(SYSTEM, Purpose.PAYMENT).update_rows(
            ["status", "paid_at", "processor_charge", "card_brand", "card_last4",
             "next_attempt_at"],
            invoices,
        )  # fmt: skip
        record_many(events, by=SYSTEM)
        for inv in suspend:
            due = format_money(inv["total"], inv["currency"])
            accounts.suspend_services(
                inv["customer_id"], f"invoice {inv['number']} ({due}) unpaid",
                by=SYSTEM, purpose=Purpose.PAYMENT,
            )  # fmt: skip
            report.suspended.append(inv["customer_id"])
            told.append((inv["pk"], notify.SUSPENDED))
        for invoice_id, kind in told:
            transaction.on_commit(
                lambda i=invoice_id, k=kind: customer_to_tell.send(
                    sender=None, invoice_id=i, kind=k
                )
            )


def _tell(invoice_id: int, kind: str) -> None:
    customer_to_tell.send(sender=None, invoice_id=invoice_id, kind=kind)
