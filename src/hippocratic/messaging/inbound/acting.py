"""Doing what a sorted message asks: one request in the ledger, or a bounce counted.

    act(incoming) -> Received

The steps run in order; each acts on the messages it is for and returns what came
of it, or None to pass the message on. Reading ACTING tells the rules: a prospect's
bounce and reply, and a customer's bounce, are handled here; anything else is a
request in the ledger (requests.ledger), with its deadline.
"""

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from hippocratic.accounts import notices
from hippocratic.accounts.models import Customer, Prospect
from hippocratic.enforcement.actors import Actor
from hippocratic.messaging import services, suppression
from hippocratic.messaging.inbound.outcomes import Ignored, Incoming, Kind, Received
from hippocratic.messaging.models import BounceScore, Suppression
from hippocratic.policy.prose import possessive
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose
from hippocratic.requests import ledger
from hippocratic.requests.models import Request
from hippocratic.requests.signals import RequestMail, tell

EMAIL = "user.contact.email"
INTAKE = Actor.system("messaging.inbound")
SOFT_BOUNCE_LIMIT = 5  # Mailman's bounce_score_threshold

_REQUESTS = {  # an incoming kind -> the request it makes
    Kind.UNSUBSCRIBE: (Request.Kind.UNSUBSCRIBE, Request.Channel.EMAIL),
    Kind.REPLY: (Request.Kind.UNSUBSCRIBE, Request.Channel.REPLY),
    Kind.CHOICE: (Request.Kind.OPT_OUT, Request.Channel.EMAIL),
    Kind.SUPPORT: (Request.Kind.SUPPORT, Request.Channel.EMAIL),
}


def prospect_bounced(mail: Incoming) -> Received | None:
    """A prospect's address bounced: for good (5.x.x), they leave the list and the
    address is suppressed; a soft bounce of a prospect's is not counted."""
    if mail.kind != Kind.BOUNCE or not mail.from_prospect:
        return None
    if mail.status != "5":
        return Received(Kind.BOUNCE, False, reason=Ignored.PROSPECT_SOFT_BOUNCE)
    prospect_id = int(mail.who[1:])
    suppression.suppress(_prospect_address(prospect_id), Suppression.Reason.BOUNCED)
    services.prospect_leave(prospect_id, "bounced")
    return Received(Kind.BOUNCE, True)


def customer_bounced(mail: Incoming) -> Received | None:
    """A customer's address bounced: 5.x.x stops mail to it at once (and suppresses
    it), 4.x.x or an unreadable report counts towards SOFT_BOUNCE_LIMIT."""
    if mail.kind != Kind.BOUNCE:
        return None
    customer_id, hard = int(mail.who), mail.status == "5"
    now = timezone.now()
    with transaction.atomic():
        scores = BounceScore.objects.for_purpose(INTAKE, ledger.purpose())
        if not scores.filter(customer_id=customer_id).exists():
            if not _customers().filter(pk=customer_id).exists():
                return Received.ignored(Ignored.UNKNOWN_CUSTOMER_BOUNCE)
            scores.create(customer_id=customer_id)
        mine = scores.filter(customer_id=customer_id)
        score = mine.values_list("score", flat=True).get() + (SOFT_BOUNCE_LIMIT if hard else 1)
        stop = score >= SOFT_BOUNCE_LIMIT
        mine.filter(disabled_at__isnull=True).update(
            score=min(score, 1000), **({"disabled_at": now} if stop else {})
        )
        if hard:
            address = _customers().filter(pk=customer_id).values_list("email", flat=True).first()
            suppression.suppress(address or "", Suppression.Reason.BOUNCED)
    return Received(Kind.BOUNCE, stop)


def prospect_replied(mail: Incoming) -> Received | None:
    """A prospect on the list replied (MSG-4): off the list, recorded as a request done
    at once (it names no customer)."""
    if mail.kind != Kind.REPLY or not mail.from_prospect:
        return None
    try:
        with transaction.atomic():
            request = ledger.open_request(
                kind=Request.Kind.UNSUBSCRIBE, channel=Request.Channel.REPLY, by=INTAKE,
                requester=Request.Requester.PROSPECT, sender=mail.sender, message_key=mail.key,
            )  # fmt: skip
            services.prospect_leave_recorded(
                int(mail.who[1:]), Request.Channel.REPLY, "replied", by=INTAKE,
                request_id=request.pk,
            )  # fmt: skip
    except IntegrityError:  # the same message again
        return Received(Kind.REPLY, True)
    return Received(Kind.REPLY, True, request.pk)


def requested(mail: Incoming) -> Received | None:
    """Anything else is a request in the ledger. Leaving the list is done at once for
    a customer where the message proves its sender (a reply+ token, or our MTA's
    DKIM/SPF pass for its From: domain); anything else a customer's address asks, an
    unproven removal included, waits until they confirm by a link sent to that address
    (a From: line is easily forged). The confirmation that someone left goes to the
    customer's own address, never to whoever wrote from another."""
    if mail.kind not in _REQUESTS:
        return None
    kind, channel = _REQUESTS[mail.kind]
    label, sender, key, choice = mail.kind, mail.sender, mail.key, mail.choice
    replier = int(mail.who) if mail.kind == Kind.REPLY else None
    now = mail.received or timezone.now()  # a request's deadline runs from its arrival
    try:
        # One transaction, one commit: the message is stored when it ends.
        with transaction.atomic():
            customer_id = replier if channel == Request.Channel.REPLY else _customer_of(sender)
            proven = mail.proven and customer_id is not None
            leaving = kind == Request.Kind.UNSUBSCRIBE and proven
            confirming = customer_id is not None and not leaving
            request = ledger.open_request(
                kind=kind, channel=channel, by=INTAKE, customer_id=customer_id, choice=choice,
                sender=sender, message_key=key, received=now, subject=mail.subject,
                text=mail.text,
                requester=Request.Requester.UNVERIFIED if confirming or not customer_id
                else Request.Requester.CUSTOMER,
                status=Request.Status.CONFIRMING if confirming else Request.Status.OPEN,
            )  # fmt: skip
            if leaving:
                # The customer's own request: it runs as them (the opt-out is all it does).
                me = Actor.for_customer(customer_id)
                services.leave_recorded(customer_id, channel, f"by mail ({label})", by=me,
                                        request_id=request.pk)  # fmt: skip
                transaction.on_commit(lambda: _confirm(customer_id))
            elif confirming:
                tell(request.pk, RequestMail.CONFIRM)
    except IntegrityError:  # the same message again (an MTA's retry): stored once
        earlier = ledger.requests_for(INTAKE).filter(message_key=key)
        row = earlier.values("pk", "channel", "kind", "status").first()
        if row is None:
            raise
        return Received(_kind_of(row), row["status"] == Request.Status.DONE, row["pk"])
    return Received(label, leaving, request.pk)


ACTING = (
    prospect_bounced,
    customer_bounced,
    prospect_replied,
    requested,
)


def act(mail: Incoming) -> Received:
    """Do what a message asks: one request in the ledger (or a bounce counted)."""
    for step in ACTING:
        done = step(mail)
        if done is not None:
            return done
    raise ValueError(f"no step acts on mail of kind {mail.kind!r}")


def _kind_of(row: dict) -> Kind:
    """The kind of message an earlier request in the ledger came from."""
    if row["channel"] == Request.Channel.REPLY:
        return Kind.REPLY
    return Kind.CHOICE if row["kind"] == Request.Kind.OPT_OUT else Kind(row["kind"])


def _prospect_address(prospect_id: int) -> str:
    rows = Prospect.objects.for_purpose(INTAKE, Purpose.MARKETING_EMAIL)
    return rows.filter(pk=prospect_id).values_list("email", flat=True).first() or ""


def _customers():
    return Customer.objects.for_purpose(INTAKE, ledger.purpose())


def _customer_of(sender: str) -> int | None:
    """The customer whose address sent the mail; None where the policy keeps no
    customer's address (Dracon, the ISP, Quality): no one can be found by it there."""
    if EMAIL not in current_policy().collected_categories("customer"):
        return None
    # lower(email) = the sender (already lower-cased): the index on lower(email) answers it.
    rows = _customers().alias(email_lower=Lower("email")).filter(email_lower=sender)
    return rows.values_list("pk", flat=True).first()


def _confirm(customer_id: int) -> None:
    """Tell the customer, at their own address, that they left the list."""
    address = notices.address_of(customer_id, by=INTAKE)
    if not address:
        return
    name = current_policy().provider.name
    notices.mail_address(
        address,
        f"You are off {possessive(name)} mailing list",
        f"We received your request and removed {address} from our mailing list. "
        "Service bulletins about your account still reach you.\n\n" + name,
        auto=notices.AUTO_REPLIED,
    )
