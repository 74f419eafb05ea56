"""The customer log (ACC-3): what happened to an account, in the normal course of
service. Every app records its own kinds of event here, through `record`."""

from django.db import models
from django.utils import timezone

from hippocratic.accounts.models import AccountEvent
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.gateway import purpose_for


def record(customer_id: int, kind: models.TextChoices, detail: str = "", *, by: Actor) -> None:
    """Append an event to the customer's log: `kind` is one of the recording app's
    own event kinds; `detail` says what changed, never a value such as a password or
    a card number. `by` is whoever acted: the customer, staff, or a task."""
    AccountEvent.objects.for_purpose(by, purpose_for(AccountEvent)).create(
        customer_id=customer_id, kind=kind.value, detail=detail[:300]
    )


def record_many(events: list[tuple[int, models.TextChoices, str]], *, by: Actor) -> None:
    """`record` for many customers at once (a billing run): one write, one audit entry."""
    if events:
        now = timezone.now()
        AccountEvent.objects.for_purpose(by, purpose_for(AccountEvent)).insert_rows(
            ["customer_id", "kind", "detail", "created_at"],
            [(c, k.value, d[:300], now) for c, k, d in events],
        )
