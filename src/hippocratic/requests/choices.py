"""A customer's choices (CH-1): how their information is used for marketing and with
which partners it is shared, changed at any time from the account pages, the API, or
by a confirmed mail to the address the policy names. Each change is a request in the
ledger, done at once; the gateway and the sharing path honour it (DIS-3).

    options()                          -> the choices this policy offers, in file order
    current(customer_id)               -> {option key: allowed?}
    change(customer_id, wanted, by=, channel=) -> what changed, in words
"""

from dataclasses import dataclass

from django.db import models, transaction

from hippocratic.accounts.customer_log import record
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.models import OptOut
from hippocratic.policy.models import ChoiceKind, SubjectKind
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose
from hippocratic.requests import ledger
from hippocratic.requests.models import Request


class ChoiceEvent(models.TextChoices):
    """What choices write to the customer log."""

    CHANGED = "choice_changed", "Changed how their information is used"


@dataclass(frozen=True)
class Option:
    key: str  # "use:<data use>" or "recipient:<recipient key>"
    label: str
    choice: str  # the policy's choice key
    use: str = ""
    recipient: str = ""


def options(choice_key: str = "") -> list[Option]:
    """The opt-outs the policy gives customers: per use, and per recipient."""
    policy = current_policy()
    found: dict[str, Option] = {}
    for choice in policy.choices:
        if choice.kind is not ChoiceKind.OPT_OUT or SubjectKind.CUSTOMER not in choice.subjects:
            continue
        if choice_key and choice.key != choice_key:
            continue
        for use in choice.uses:
            purpose = policy.purposes.get(use)
            label = purpose.name if purpose else use
            found.setdefault(f"use:{use}", Option(f"use:{use}", label, choice.key, use=use))
        for key in choice.recipients:
            recipient = next(r for r in policy.recipients if r.key == key)
            found.setdefault(
                f"recipient:{key}",
                Option(f"recipient:{key}", f"Sharing with {recipient.name}", choice.key,
                       recipient=key),
            )  # fmt: skip
    return list(found.values())


def current(customer_id: int) -> dict[str, bool]:
    refused = OptOut.objects.filter(subject="customer", subject_id=customer_id)
    uses = set(refused.exclude(use="").values_list("use", flat=True))
    recipients = set(refused.exclude(recipient="").values_list("recipient", flat=True))
    return {
        o.key: (o.use not in uses) if o.use else (o.recipient not in recipients) for o in options()
    }


def _apply(customer_id: int, option: Option, allow: bool, *, by: Actor, how: str) -> None:
    mine = OptOut.objects.filter(subject="customer", subject_id=customer_id)
    if option.use and not allow and option.use in ledger.CHOICE_EFFECTS:
        ledger.CHOICE_EFFECTS[option.use](customer_id, by, how)  # off the list, say
    if option.use:
        if allow:
            mine.filter(use=option.use, recipient="").delete()
        else:
            OptOut.objects.get_or_create(subject="customer", subject_id=customer_id,
                                         use=option.use, recipient="")  # fmt: skip
    elif allow:
        mine.filter(use="", recipient=option.recipient).delete()
    else:
        OptOut.objects.get_or_create(subject="customer", subject_id=customer_id, use="",
                                     recipient=option.recipient)  # fmt: skip
    if option.use == Purpose.MARKETING_EMAIL and allow:
        mine.filter(use=Purpose.MARKETING_EMAIL, recipient="").delete()
    record(
        customer_id,
        ChoiceEvent.CHANGED,
        f"{option.label}: {'yes' if allow else 'no'} ({how})",
        by=by,
    )


def change(
    customer_id: int, wanted: dict[str, bool], *, by: Actor, channel: str,
    request_id: int | None = None,
) -> list[str]:  # fmt: skip
    """Set the customer's choices to `wanted` (option key -> allowed). A new request,
    done at once, records it; or, for a confirmed mailed request, that request closes.
    Returns what changed, in words (empty if nothing did)."""
    before = current(customer_id)
    by_key = {o.key: o for o in options()}
    unknown = set(wanted) - set(by_key)
    if unknown:
        raise ValueError(f"no such choice: {', '.join(sorted(unknown))}")
    changed = [by_key[k] for k, allow in wanted.items() if before[k] != allow]
    words = [f"{o.label}: {'yes' if wanted[o.key] else 'no'}" for o in changed]
    outcome = "; ".join(words) or "nothing to change"
    how = dict(Request.Channel.choices)[channel].lower()
    if request_id is not None:
        with ledger.working_on(request_id, by=by, outcome=outcome):
            for option in changed:
                _apply(customer_id, option, wanted[option.key], by=by, how=how)
        return words
    if not changed:
        return words
    choice = changed[0].choice
    with (
        transaction.atomic(),
        ledger.done_at_once(
            Request.Kind.OPT_OUT, channel, by=by, customer_id=customer_id, choice=choice
        ) as work,
    ):
        for option in changed:
            _apply(customer_id, option, wanted[option.key], by=by, how=how)
        work.outcome = outcome
    return words
