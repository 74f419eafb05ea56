"""Payment processors (PAY-1, DIS-6): the card number goes to the processor, and only
its token and display hints (brand, last four digits) come back to be kept.

    processor = current_processor()
    card = processor.add_card(CardDetails(number, exp_month, exp_year, cvc), billing={})
    charge = processor.charge(ChargeRequest(card.token, 1500, "usd", "INV-202611-7", key))
    processor.detach(card.token)

What crosses this interface is all the processor ever receives from us (DIS-6): the
card, the billing fields the policy lists for the processor, and for a charge the
token, amount, currency, invoice number and an idempotency key, so that a retried
job never charges twice.

`sandbox.SandboxProcessor` runs locally (tests, the demo, development) and keeps its
books in the database as a real processor keeps them on its servers;
`stripe_api.StripeProcessor` talks to Stripe through its official client.
settings.HIPPOCRATIC_PAYMENTS picks one, by name or by dotted path, resolved late (as
Django resolves its backends): this module holds the interface only, and imports no
model (the logging filter that masks card numbers loads before the apps).
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class CardDetails:
    """What a customer types in; lives only in memory on its way to the processor."""

    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    cvc: str = field(repr=False)


@dataclass(frozen=True)
class CardToken:
    """All that is kept of a card."""

    token: str
    brand: str
    last4: str


@dataclass(frozen=True)
class ChargeRequest:
    """Everything a charge sends the processor (DIS-6)."""

    token: str
    amount: int  # minor units
    currency: str
    invoice_number: str
    idempotency_key: str


@dataclass(frozen=True)
class Charge:
    reference: str
    amount: int
    currency: str


@dataclass(frozen=True)
class Refund:
    reference: str
    amount: int


class PaymentError(Exception):
    """The processor refused; `message` is fit to show the customer."""

    def __init__(self, message: str, code: str = "processing_error"):
        self.code = code
        super().__init__(message)


class CardDeclined(PaymentError):
    pass


class ProcessorUnavailable(PaymentError):
    """The processor did not answer: try again later, nothing was decided."""

    def __init__(self, message: str = "The payment processor did not answer; try again."):
        super().__init__(message, "processor_unavailable")


class Processor(Protocol):
    name: str

    def add_card(self, card: CardDetails, billing: dict[str, str]) -> CardToken: ...

    def charge(self, request: ChargeRequest) -> Charge: ...

    def refund(self, charge_reference: str, amount: int, idempotency_key: str) -> Refund: ...

    def detach(self, token: str) -> None: ...


def luhn_valid(number: str) -> bool:
    """The Luhn checksum every card number carries."""
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(number)):
        d = int(digit)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"34", "37"}:
        return "amex"
    if 51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720:
        return "mastercard"
    if number.startswith(("6011", "65")):
        return "discover"
    return "unknown"


def expired(exp_month: int, exp_year: int, now: dt.datetime) -> bool:
    """A card is good through the last day of its expiry month."""
    return (exp_year, exp_month) < (now.year, now.month)


PROCESSORS = {
    "sandbox": "hippocratic.billing.processors.sandbox.SandboxProcessor",
    "stripe": "hippocratic.billing.processors.stripe_api.StripeProcessor",
}


@cache
def current_processor() -> Processor:
    """The processor settings.HIPPOCRATIC_PAYMENTS names (sandbox by default): a name
    above, or the dotted path of a class."""
    config = dict(getattr(settings, "HIPPOCRATIC_PAYMENTS", {}) or {})
    kind = config.pop("processor", "sandbox")
    try:
        processor = import_string(PROCESSORS.get(kind, kind))
    except ImportError:
        raise ImproperlyConfigured(
            f"HIPPOCRATIC_PAYMENTS: unknown processor {kind!r} (sandbox, stripe, or the "
            "dotted path of a processor class)"
        ) from None
    return processor(**config)


@receiver(setting_changed)
def _reset(*, setting, **kwargs):
    if setting == "HIPPOCRATIC_PAYMENTS":
        current_processor.cache_clear()
