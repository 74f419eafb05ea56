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

`SandboxProcessor` runs locally (tests, the demo, development) and keeps its books
in the database as a real processor keeps them on its servers; `StripeProcessor`
talks to Stripe through its official client. settings.HIPPOCRATIC_PAYMENTS picks one.
"""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

from django.conf import settings
from django.core.signals import setting_changed
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone


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


# Stripe's published test numbers (docs.stripe.com/testing), with the outcomes and
# messages Stripe gives when a card is set up for later charges.
SETUP_REFUSALS = {
    "4000000000000002": ("card_declined", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000009987": ("card_declined", "Your card was declined."),  # lost card
    "4000000000000069": ("expired_card", "Your card has expired."),
    "4000000000000127": ("incorrect_cvc", "Your card's security code is incorrect."),
    "4000000000000119": (
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
}
# Set up fine, declined when charged ("attaching this card succeeds, charges fail").
FAILS_WHEN_CHARGED = "4000000000000341"


class SandboxProcessor:
    """A processor that runs in-process and behaves as Stripe documents its test cards.

    Its books (billing.SandboxLedgerEntry) stand in for the processor's servers: a
    charge is written there under its idempotency key before it is answered, so a
    retry with the same key gets the same answer and never a second charge, even
    after the worker that asked was killed. A token names the outcome of its
    charges and the card's expiry, never the number. `decline=True` declines
    every charge.
    """

    name = "sandbox"

    def __init__(self, *, decline: bool = False):
        self.decline = decline

    def add_card(self, card: CardDetails, billing: dict[str, str]) -> CardToken:
        if not luhn_valid(card.number):
            raise CardDeclined("Your card number is incorrect.", "incorrect_number")
        if len(card.cvc) not in (3, 4) or not card.cvc.isdigit():
            raise CardDeclined("Your card's security code is invalid.", "invalid_cvc")
        if expired(card.exp_month, card.exp_year, timezone.now()):
            raise CardDeclined("Your card's expiration date is in the past.", "invalid_expiry")
        if card.number in SETUP_REFUSALS:
            code, message = SETUP_REFUSALS[card.number]
            raise CardDeclined(message, code)
        outcome = "fails" if card.number == FAILS_WHEN_CHARGED else "ok"
        expiry = f"{card.exp_year:04d}{card.exp_month:02d}"
        token = f"tok_sandbox_{outcome}_{expiry}_{secrets.token_hex(12)}"
        return CardToken(token, brand_of(card.number), card.number[-4:])

    def charge(self, request: ChargeRequest) -> Charge:
        from hippocratic.billing.models import SandboxLedgerEntry as Entry

        earlier = Entry.objects.filter(idempotency_key=request.idempotency_key).first()
        if earlier is None:
            code, message = self._outcome(request.token)
            reference = "" if code else f"ch_sandbox_{secrets.token_hex(12)}"
            try:
                with transaction.atomic():
                    earlier = Entry.objects.create(
                        kind=Entry.Kind.CHARGE, idempotency_key=request.idempotency_key,
                        token_digest=_digest(request.token), reference=reference,
                        amount=request.amount, currency=request.currency.lower(),
                        code=code, message=message,
                    )  # fmt: skip
            except IntegrityError:  # the same key, at the same moment, from elsewhere
                earlier = Entry.objects.get(idempotency_key=request.idempotency_key)
        if earlier.code:
            raise CardDeclined(earlier.message, earlier.code)
        return Charge(earlier.reference, earlier.amount, earlier.currency)

    def _outcome(self, token: str) -> tuple[str, str]:
        from hippocratic.billing.models import SandboxLedgerEntry as Entry

        parts = token.split("_")
        if len(parts) != 5 or parts[:2] != ["tok", "sandbox"]:
            return "resource_missing", "No such card."
        detached = Entry.objects.filter(kind=Entry.Kind.DETACH, token_digest=_digest(token))
        if detached.exists():
            return "resource_missing", "No such card."
        year, month = int(parts[3][:4]), int(parts[3][4:])
        if expired(month, year, timezone.now()):
            return "expired_card", "Your card has expired."
        if self.decline or parts[2] == "fails":
            return "card_declined", "Your card was declined."
        return "", ""

    def refund(self, charge_reference: str, amount: int, idempotency_key: str) -> Refund:
        from hippocratic.billing.models import SandboxLedgerEntry as Entry

        earlier = Entry.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            return Refund(earlier.reference, earlier.amount)
        charge = Entry.objects.filter(kind=Entry.Kind.CHARGE, reference=charge_reference).first()
        if charge is None or not charge_reference:
            raise PaymentError("No such charge.", "resource_missing")
        refunded = sum(
            Entry.objects.filter(kind=Entry.Kind.REFUND, refers_to=charge_reference)
            .values_list("amount", flat=True)
        )  # fmt: skip
        if amount <= 0 or refunded + amount > charge.amount:
            raise PaymentError("A refund cannot exceed what was charged.", "amount_too_large")
        entry = Entry.objects.create(
            kind=Entry.Kind.REFUND, idempotency_key=idempotency_key,
            refers_to=charge_reference, reference=f"re_sandbox_{secrets.token_hex(12)}",
            amount=amount, currency=charge.currency,
        )  # fmt: skip
        return Refund(entry.reference, entry.amount)

    def detach(self, token: str) -> None:
        from hippocratic.billing.models import SandboxLedgerEntry as Entry

        Entry.objects.get_or_create(
            kind=Entry.Kind.DETACH, idempotency_key=f"detach:{_digest(token)}",
            defaults={"token_digest": _digest(token)},
        )  # fmt: skip


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StripeProcessor:
    """Stripe, through its official client (stripe-python's StripeClient).

    A card is set up for later charges as Stripe asks for subscriptions: a Customer
    object that holds nothing about the customer but the card, a PaymentMethod, and
    a SetupIntent confirmed off-session, so that a card Stripe refuses is refused at
    once. Our token is "cus_…/pm_…". The number crosses our server in memory only:
    Stripe's hosted fields are a third-party script, which no page here loads.

    `api_base` points the client elsewhere: the tests run it against a fake of
    Stripe's API on loopback. Stripe's client logs request bodies at DEBUG; the
    billing app's log filter (billing.logs) masks card numbers in them.
    """

    name = "stripe"

    def __init__(self, *, api_key: str, api_base: str | None = None):
        import stripe

        self._stripe = stripe
        addresses = {"api": api_base} if api_base else None
        self._client = stripe.StripeClient(api_key, base_addresses=addresses, max_network_retries=2)

    def _call(self, method, params, key: str | None = None, *, declined=CardDeclined):
        try:
            return method(params=params, options={"idempotency_key": key} if key else {})
        except self._stripe.CardError as error:
            raise declined(error.user_message or "The card was refused.", error.code) from None
        except self._stripe.InvalidRequestError as error:
            raise PaymentError(error.user_message or "The processor refused.", error.code) from None
        except self._stripe.StripeError as error:
            raise ProcessorUnavailable() from error

    def add_card(self, card: CardDetails, billing: dict[str, str]) -> CardToken:
        v1 = self._client.v1
        details = {k: v for k, v in billing.items() if v}
        method = self._call(v1.payment_methods.create, {
            "type": "card",
            "card": {"number": card.number, "exp_month": card.exp_month,
                     "exp_year": card.exp_year, "cvc": card.cvc},
            **({"billing_details": details} if details else {}),
        })  # fmt: skip
        customer = self._call(v1.customers.create, {"payment_method": method.id})
        self._call(v1.setup_intents.create, {
            "customer": customer.id, "payment_method": method.id, "confirm": True,
            "usage": "off_session", "payment_method_types": ["card"],
        })  # fmt: skip
        return CardToken(f"{customer.id}/{method.id}", method.card.brand, method.card.last4)

    def charge(self, request: ChargeRequest) -> Charge:
        customer, method = request.token.split("/", 1)
        intent = self._call(self._client.v1.payment_intents.create, {
            "amount": request.amount, "currency": request.currency.lower(),
            "customer": customer, "payment_method": method,
            "confirm": True, "off_session": True, "description": request.invoice_number,
            "payment_method_types": ["card"],
        }, request.idempotency_key)  # fmt: skip
        if intent.status != "succeeded":
            raise CardDeclined("The payment needs more steps than we can take.", intent.status)
        return Charge(intent.id, intent.amount, intent.currency)

    def refund(self, charge_reference: str, amount: int, idempotency_key: str) -> Refund:
        params = {"payment_intent": charge_reference, "amount": amount}
        done = self._call(self._client.v1.refunds.create, params, idempotency_key)
        return Refund(done.id, done.amount)

    def detach(self, token: str) -> None:
        customer, method = token.split("/", 1)
        try:
            self._client.v1.payment_methods.detach(method)
            self._client.v1.customers.delete(customer)
        except self._stripe.InvalidRequestError:
            pass  # already gone
        except self._stripe.StripeError as error:
            raise ProcessorUnavailable() from error


@cache
def current_processor() -> Processor:
    """The processor settings.HIPPOCRATIC_PAYMENTS names (sandbox by default)."""
    config = dict(getattr(settings, "HIPPOCRATIC_PAYMENTS", {}) or {})
    kind = config.pop("processor", "sandbox")
    if kind == "sandbox":
        return SandboxProcessor(**config)
    if kind == "stripe":
        return StripeProcessor(**config)
    raise ValueError(f"HIPPOCRATIC_PAYMENTS: unknown processor {kind!r} (sandbox or stripe)")


@receiver(setting_changed)
def _reset(*, setting, **kwargs):
    if setting == "HIPPOCRATIC_PAYMENTS":
        current_processor.cache_clear()
