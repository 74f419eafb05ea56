"""Payment processors (PAY-1): the card number goes to the processor, and only its
token and display hints (brand, last four digits) come back to be kept.

    processor = current_processor()
    card = processor.tokenize(CardDetails(number, exp_month, exp_year, cvc))
    charge = processor.charge(card.token, 1500, "usd", "Hosting, March")

`SandboxProcessor` runs locally (tests, the demo, development); `StripeProcessor`
talks to Stripe through its official client. settings.HIPPOCRATIC_PAYMENTS picks one.
"""

import secrets
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


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
class Charge:
    reference: str
    amount_cents: int
    currency: str


class PaymentError(Exception):
    """The processor refused; `message` is fit to show the customer."""

    def __init__(self, message: str, code: str = "processing_error"):
        self.code = code
        super().__init__(message)


class CardDeclined(PaymentError):
    pass


class Processor(Protocol):
    name: str

    def tokenize(self, card: CardDetails) -> CardToken: ...

    def charge(self, token: str, amount_cents: int, currency: str, description: str) -> Charge: ...


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


# Stripe's published test numbers, honoured by the sandbox with the same outcomes.
SANDBOX_DECLINES = {
    "4000000000000002": ("card_declined", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000000069": ("expired_card", "Your card has expired."),
}


class SandboxProcessor:
    """A processor that runs in-process: it Luhn-checks, tokenises, honours the
    test card numbers above (a card whose charge is declined is still tokenised,
    as with Stripe) and declines everything when told to (`decline=True`).

    The token names the outcome its charges will have, never the number: the
    sandbox keeps no state, so a token works across processes and restarts.
    """

    name = "sandbox"

    def __init__(self, *, decline: bool = False):
        self.decline = decline

    def tokenize(self, card: CardDetails) -> CardToken:
        if not luhn_valid(card.number):
            raise PaymentError("That card number is not valid.", "incorrect_number")
        if len(card.cvc) not in (3, 4) or not card.cvc.isdigit():
            raise PaymentError("The security code is 3 or 4 digits.", "invalid_cvc")
        outcome = SANDBOX_DECLINES.get(card.number, ("ok", ""))[0]
        token = f"tok_sandbox_{outcome}_{secrets.token_hex(12)}"
        return CardToken(token, brand_of(card.number), card.number[-4:])

    def charge(self, token: str, amount_cents: int, currency: str, description: str) -> Charge:
        if not token.startswith("tok_sandbox_"):
            raise PaymentError("Unknown card token.", "resource_missing")
        outcome = token.removeprefix("tok_sandbox_").rsplit("_", 1)[0]
        if self.decline:
            raise CardDeclined("Your card was declined.", "card_declined")
        if outcome != "ok":
            code = outcome
            message = next(m for c, m in SANDBOX_DECLINES.values() if c == code)
            raise CardDeclined(message, code)
        return Charge(f"ch_sandbox_{secrets.token_hex(12)}", amount_cents, currency.lower())


class StripeProcessor:
    """Stripe, through its official client (stripe-python's StripeClient).

    `api_base` points the client elsewhere: the tests run it against a fake of
    Stripe's API on loopback. Stripe's client logs request bodies at DEBUG; the
    billing app's log filter (billing.logs) masks card numbers in them.
    """

    name = "stripe"

    def __init__(self, *, api_key: str, api_base: str | None = None):
        import stripe

        self._stripe = stripe
        addresses = {"api": api_base} if api_base else None
        self._client = stripe.StripeClient(api_key, base_addresses=addresses, max_network_retries=0)

    def tokenize(self, card: CardDetails) -> CardToken:
        try:
            method = self._client.v1.payment_methods.create(
                params={
                    "type": "card",
                    "card": {
                        "number": card.number,
                        "exp_month": card.exp_month,
                        "exp_year": card.exp_year,
                        "cvc": card.cvc,
                    },
                }
            )
        except self._stripe.CardError as error:
            raise PaymentError(error.user_message or "The card was refused.", error.code) from None
        except self._stripe.StripeError as error:
            raise PaymentError("The payment processor did not answer; try again.") from error
        return CardToken(method.id, method.card.brand, method.card.last4)

    def charge(self, token: str, amount_cents: int, currency: str, description: str) -> Charge:
        try:
            intent = self._client.v1.payment_intents.create(
                params={
                    "amount": amount_cents,
                    "currency": currency.lower(),
                    "payment_method": token,
                    "confirm": True,
                    "description": description,
                    "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
                }
            )
        except self._stripe.CardError as error:
            raise CardDeclined(
                error.user_message or "Your card was declined.", error.code
            ) from None
        except self._stripe.StripeError as error:
            raise PaymentError("The payment processor did not answer; try again.") from error
        if intent.status != "succeeded":
            raise CardDeclined("The payment needs more steps than we can take.", intent.status)
        return Charge(intent.id, intent.amount, intent.currency)


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
