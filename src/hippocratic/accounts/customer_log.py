"""The customer log (ACC-3): what happened to an account, in the normal course of
service. Every app records its own kinds of event here, through `record`, after
registering them in its AppConfig.ready():

    customer_log.EVENT_KINDS.register("billing", BillingEvent)
"""

from django.db import models
from django.utils import timezone

from hippocratic.accounts.models import AccountEvent
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.gateway import purpose_for
from hippocratic.registry import Registry

EVENT_KINDS: Registry[type[models.TextChoices]] = Registry(
    "accounts.event_kinds",
    "Each app's kinds of customer-log event, so the log reads in words "
    '("Added a card: Visa ending 4242").',
)


def in_words(kind: str, detail: str = "") -> str:
    """An event as a person reads it: its kind's label, and what changed."""
    labels = {value: label for kinds in EVENT_KINDS for value, label in kinds.choices}
    label = labels.get(kind, kind.replace("_", " ").capitalize())
    return f"{label}: {detail}" if detail else label


def _registered(kind: models.TextChoices) -> str:
    if type(kind) not in list(EVENT_KINDS):
        raise LookupError(f"{type(kind).__qualname__} is not in {EVENT_KINDS.name}: register it")
    return kind.value


def record(customer_id: int, kind: models.TextChoices, detail: str = "", *, by: Actor) -> None:
    """Append an event to the customer's log: `kind` is one of the recording app's
    registered event kinds; `detail` says what changed, never a value such as a password
    or a card number. `by` is whoever acted: the customer, staff, or a task."""
    AccountEvent.objects.for_purpose(by, purpose_for(AccountEvent)).create(
        customer_id=customer_id, kind=_registered(kind), detail=detail[:300]
    )


def record_many(events: list[tuple[int, models.TextChoices, str]], *, by: Actor) -> None:
    """`record` for many customers at once (a billing run): one write, one audit entry."""
    if events:
        now = timezone.now()
        AccountEvent.objects.for_purpose(by, purpose_for(AccountEvent)).insert_rows(
            ["customer_id", "kind", "detail", "created_at"],
            [(c, _registered(k), d[:300], now) for c, k, d in events],
        )
