"""When a request is due: the policy's deadline for its choice, in days or business
days on the provider's holiday calendar (policy.calendar)."""

import datetime as dt

from django.utils import timezone

from hippocratic.policy.calendar import due_date
from hippocratic.policy.models import Choice
from hippocratic.provider import current_policy
from hippocratic.requests.models import Request

# Where the policy names no deadline, a request is still tracked to one: a month,
# as data-protection law commonly allows for a subject's request.
DEFAULT_DAYS = 30


def choice_for(kind: str, key: str = "") -> Choice | None:
    """The policy's choice a request acts under: the one named, else the first of its kind
    (for an unsubscribe, the one whose channels include the unsubscribe address)."""
    choices = current_policy().choices
    if key:
        return next((c for c in choices if c.key == key), None)
    wanted = Request.Kind(kind).choice_kind if kind in Request.Kind.values else None
    matching = [c for c in choices if c.kind is wanted]
    if kind == "unsubscribe":
        by_mail = [c for c in matching if any(ch.contact == "unsubscribe" for ch in c.channels)]
        matching = by_mail or matching
    return matching[0] if matching else None


def due_at(kind: str, key: str = "", received: dt.datetime | None = None) -> dt.datetime:
    received = received or timezone.now()
    choice = choice_for(kind, key)
    days, business = choice.deadline if choice and choice.deadline else (DEFAULT_DAYS, False)
    local = timezone.localtime(received)
    day = due_date(local.date(), days, business=business,
                   holidays=current_policy().provider.holidays)  # fmt: skip
    return local.replace(year=day.year, month=day.month, day=day.day)
