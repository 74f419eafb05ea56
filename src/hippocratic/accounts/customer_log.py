"""The customer log (ACC-3): what happened to an account, in the normal course of
service. Every app records its own kinds of event here, through `record`."""

from django.db import models
from django.utils import timezone

from hippocratic.accounts.models import AccountEvent
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.gateway import purpose_for

# Each app's kinds of event, so the log reads in words ("Added a card: Visa ending 4242").
_KINDS: dict[str, str] = {}


def register(kinds: type[models.TextChoices]) -> None:
    _KINDS.update(dict(kinds.choices))


def in_words(kind: str, detail: str = "") -> str:
    """An event as a person reads it: its kind's label, and what changed."""
    label = _KINDS.get(kind, kind.replace("_", " ").capitalize())
    return f"{label}: {detail}" if detail else label


def record(customer_id: int, kind: models.TextChoices, detail: str = "", *, by: Actor) -> None:
    """Append an event to the customer's log: `kind` is one of the recording app's
    registered
    own event kinds; `detail` says what changed, never a value such as a password or
    a card number. `by` is whoever acted: the customer, staff, or a task."""
    register(type(kind))
    AccountEvent.objects.for_purpose(by, purpose_for(AccountEvent)).create(
        customer_id=customer_id, kind=kind.value, detail=detail[:300]
    )


def record_many(events: list[tuple[int, models.TextChoices, str]], *, by: Actor) -> None:
    """`record` for many customers at once (a billing run): one write, one audit entry."""
    if events:
        register(type(events[0][1]))
        now = timezone.now()
        AccountEvent.objects.for_purpose(by, purpose_for(AccountEvent)).insert_rows(
            ["customer_id", "kind", "detail", "created_at"],
            [(c, k.value, d[:300], now) for c, k, d in events],
        )
