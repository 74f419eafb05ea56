"""Writing to the ledger of requests (CH-3). Every channel records here: the account
pages and the API, the online form, mail (messaging.inbound), the one-click link.

    with ledger.done_at_once(kind, channel, by=me, customer_id=me) as work:
        ... do it ...                  # its audit entries are kept on the request
        work.outcome = "left the mailing list"

A request that waits (for staff, or for the sender to confirm) is `open`ed and later
`finish`ed. Reads and writes go through the gateway for the support purpose; a
customer's own request is written as that customer.
"""

import datetime as dt
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from hippocratic.enforcement import audit, sealing
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.gateway import purpose_for
from hippocratic.provider import current_policy
from hippocratic.registry import Registry
from hippocratic.requests.deadlines import due_at
from hippocratic.requests.models import SUBJECT_MAX, TEXT_MAX, Request

OUTCOME_MAX = 300


def collects_email() -> bool:
    """Whether the policy lets a request keep the sender's address (Dracon's, the ISP's
    and Quality's do not: their pages offer no channel by mail)."""
    return current_policy().keeps_senders


def asked_digest(*, kind: str, sender: str, customer_id: int | None, text: str) -> str:
    """Who asked what, as a keyed hash: the same question still open is found by it
    (the text itself is sealed, and a sealed value matches no filter)."""
    return sealing.digest(kind, sender, str(customer_id or ""), text, purpose="requests.asked")


def purpose() -> str:
    """The ledger's purpose: the one the policy gives every category a request holds
    (Ducallier: support; the others: the service itself)."""
    return purpose_for(Request)


def requests_for(actor: Actor):
    return Request.objects.for_purpose(actor, purpose())


def open_request(
    *, kind: str, channel: str, by: Actor, customer_id: int | None = None,
    requester: str | None = None, choice: str = "", sender: str = "", subject: str = "",
    text: str = "", message_key: str | None = None, status: str = Request.Status.OPEN,
    received: dt.datetime | None = None,
) -> Request:  # fmt: skip
    """A request in the ledger, due by the policy's deadline for its kind. It keeps what
    was asked (subject and text, sealed at rest) and who asked (the sender's address,
    only where the policy collects e-mail addresses)."""
    received = received or timezone.now()
    if requester is None:
        requester = Request.Requester.CUSTOMER if customer_id else Request.Requester.UNVERIFIED
    sender = sender if collects_email() else ""
    text = text[:TEXT_MAX]
    asked = asked_digest(kind=kind, sender=sender, customer_id=customer_id, text=text)
    return requests_for(by).create(
        kind=kind, channel=channel, customer_id=customer_id, requester=requester,
        choice=choice, sender=sender, subject=subject[:SUBJECT_MAX], text=text,
        digest=asked if text else "", message_key=message_key, status=status,
        created_at=received, due_at=due_at(kind, choice, received),
    )  # fmt: skip


def finish(
    request_id: int, *, by: Actor, outcome: str, status: str = Request.Status.DONE,
    answer: str | None = None, audit_entries: list[int] = (),
) -> None:  # fmt: skip
    """Close a request: what was done, by whom, when, with the work's audit entries."""
    rows = requests_for(by).filter(pk=request_id)
    earlier = rows.values_list("audit_entries", flat=True).first() or []
    changes = {"answer": answer[:TEXT_MAX]} if answer is not None else {}
    rows.update(
        status=status, done_at=timezone.now(), done_by=by.label, outcome=outcome[:OUTCOME_MAX],
        audit_entries=[*earlier, *audit_entries], **changes,
    )  # fmt: skip


@dataclass
class Work:
    request: Request | None
    outcome: str = "done"
    seqs: list[int] = field(default_factory=list)


@contextmanager
def done_at_once(kind: str, channel: str, *, by: Actor, customer_id: int | None, **extra):
    """A request done as it is made (a click, a portal change): recorded open, done,
    and closed in one transaction with the audit entries of the work."""
    with transaction.atomic():
        request = open_request(kind=kind, channel=channel, by=by, customer_id=customer_id,
                               **extra)  # fmt: skip
        work = Work(request)
        with audit.collecting() as ids:
            yield work
        finish(request.pk, by=by, outcome=work.outcome, audit_entries=ids)


@contextmanager
def working_on(request_id: int, *, by: Actor, outcome: str, answer: str | None = None):
    """Do an open request's work and close it, keeping the work's audit entries (the
    work may name its outcome on what this yields, as done_at_once's does)."""
    with transaction.atomic():
        work = Work(None, outcome)
        with audit.collecting() as ids:
            yield work
        finish(request_id, by=by, outcome=work.outcome, answer=answer, audit_entries=ids)


# --- the work itself, done by the app that owns it -------------------------------------

HANDLERS: Registry[Callable[[int, Actor, str], str]] = Registry(
    "requests.handlers",
    "A kind of request -> do(customer_id, by, how) -> the outcome in words: the work the "
    "owning app does when staff act on it from the queue (an unsubscribe: off the list).",
)
CHOICE_EFFECTS: Registry[Callable[[int, Actor, str], None]] = Registry(
    "requests.choice_effects",
    "A data use -> what else a customer's refusal of it does, in the app that owns it "
    "(refusing marketing mail: off the mailing list too).",
)


def act(request_id: int, *, by: Actor, how: str, as_kind: str | None = None) -> str:
    """Do an open request's work through the handler its kind's app registered (or that
    of `as_kind`: a mail to support that asks to leave the list, MSG-4), and close it
    with the outcome; KeyError where no app does that kind of work."""
    row = requests_for(by).values("kind", "customer_id").get(pk=request_id)
    handler = HANDLERS[as_kind or row["kind"]]
    with working_on(request_id, by=by, outcome="") as work:
        work.outcome = handler(row["customer_id"], by, how) if row["customer_id"] else (
            "no customer: nothing to do")  # fmt: skip
    return work.outcome


def record_done(sender, *, customer_id, kind, channel, outcome, by, **kwargs):
    """A customer's request done as it was made, in the ledger (CH-3): the receiver of
    accounts' `request_done` signal."""
    if customer_id is None:  # erased: the customer is no one now; the ledger notes it
        by = Actor.system("requests.ledger")
    with done_at_once(kind, channel, by=by, customer_id=customer_id) as work:
        work.outcome = outcome


# --- an erasure a preservation hold keeps waiting ---------------------------------------

WAITS_ON_HOLD = "waits on a legal hold: done when the hold ends"


def record_erasure_waiting(sender, *, customer_id, channel, by, **kwargs):
    """The receiver of accounts' `erasure_waits`: the customer's erasure, open until the
    hold that names them ends (one such request, however often they ask)."""
    rows = requests_for(by).filter(customer_id=customer_id, kind=Request.Kind.DELETION,
                                   status=Request.Status.OPEN, outcome=WAITS_ON_HOLD)  # fmt: skip
    if rows.exists():
        return
    request = open_request(kind=Request.Kind.DELETION, channel=channel, by=by,
                           customer_id=customer_id)  # fmt: skip
    requests_for(by).filter(pk=request.pk).update(outcome=WAITS_ON_HOLD)


def erasures_waiting(customer_ids: set[int], *, by: Actor) -> list[tuple[int, int]]:
    """(request id, customer id) of the erasures waiting on a hold, for these customers."""
    rows = requests_for(by).filter(
        customer_id__in=sorted(customer_ids), kind=Request.Kind.DELETION,
        status=Request.Status.OPEN, outcome=WAITS_ON_HOLD,
    )  # fmt: skip
    return list(rows.values_list("pk", "customer_id"))
