"""Billing as the site does it: the run early next month bills this month (a
customer with a service since the start of last month pays a whole month)."""

import datetime as dt

from accounts.conftest import SYSTEM

from hippocratic.accounts.models import Service, Subscription
from hippocratic.billing import runs
from hippocratic.billing.models import Invoice
from hippocratic.purposes import Purpose

NUMBER = "4242424242424242"
_TODAY = dt.datetime.now(dt.UTC).date()
_MONTH = _TODAY.replace(day=1)
NEXT_RUN = dt.datetime.combine(
    (_MONTH + dt.timedelta(days=32)).replace(day=1), dt.time(6), tzinfo=dt.UTC
)
SINCE_LAST_MONTH = dt.datetime.combine(
    (_MONTH - dt.timedelta(days=1)).replace(day=1), dt.time(9), tzinfo=dt.UTC
)


def card_form(number=NUMBER, **extra):
    spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    return {
        "number": spaced, "exp_month": 12, "exp_year": 2031, "cvc": "123",
        "billing_name": "A. Lovelace", "billing_address": "12 St James's Square", **extra,
    }  # fmt: skip


def hosting(price=1500, currency="USD") -> Service:
    service, _ = Service.objects.get_or_create(
        code=f"hosting-{price}-{currency.lower()}",
        defaults={"name": "Web hosting", "monthly_price_cents": price, "currency": currency},
    )
    return service


def running_since(customer_id: int, started=SINCE_LAST_MONTH, service=None) -> Subscription:
    """A service the customer chose on `started` (written as the sign-up would)."""
    return Subscription.objects.for_purpose(SYSTEM, "essential.service").create(
        customer_id=customer_id, service=service or hosting(), created_at=started
    )


def billed(customer_id: int, now=NEXT_RUN) -> Invoice:
    """Run billing at `now` and return the customer's newest invoice."""
    runs.run(now)
    mine = Invoice.objects.for_purpose(SYSTEM, Purpose.PAYMENT).filter(customer_id=customer_id)
    return mine.latest("period_start")
