"""The sandbox processor: runs in-process, keeps its books in the database, and answers
as Stripe documents its test cards (tests, the demo, development)."""

import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from hippocratic.billing.models import SandboxLedgerEntry as Entry
from hippocratic.billing.processors import (
    CardDeclined,
    CardDetails,
    CardToken,
    Charge,
    ChargeRequest,
    PaymentError,
    Refund,
    brand_of,
    expired,
    luhn_valid,
)

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
        Entry.objects.get_or_create(
            kind=Entry.Kind.DETACH, idempotency_key=f"detach:{_digest(token)}",
            defaults={"token_digest": _digest(token)},
        )  # fmt: skip


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
