"""Mail that comes in (MSG-3, MSG-4), by LMTP from the MTA or piped as an .eml.

    receive(raw_bytes, recipients=["unsubscribe@ducallier.com"]) -> Received  (at once)
    accept(raw_bytes, recipients) -> Received                                (queued)

`receive` (the pipe) acts on a message before it answers. `accept` (the LMTP server)
reads and sorts it, keeps what its request needs in a queue row (InboundMail: never
the text) and answers; the worker acts on the queue (`act_on_queued`), each message in
one transaction with its row's deletion, so it is acted on once. Either way a message
is answered only once it is committed; a message that cannot be read gets MailRejected
with a one-line reason (the LMTP server answers 5xx), and a database that does not
answer raises, so the LMTP server answers 4xx and the MTA tries again. Acting is
idempotent by Message-ID: a retried delivery is one request.

- To the policy's unsubscribe address, with "Remove From Mailing List" in the subject
  (any case, Re:/Fwd:, quotes, spaces, encoded words): the sender leaves the list at
  once if they are a customer, else the request waits for staff; due within the
  choice's deadline (Ducallier: 14 days). The sender gets a confirmation.
- To a message's per-recipient reply address (reply+<token>@…): that customer opts out
  of marketing mail (MSG-4).
- To the security address, where the policy takes choices there (Ducallier): a
  request to change how the sender's information is used, done once they confirm by a
  link sent to their address (requests.identity).
- To the support address: a request in the staff queue; from a customer's address, it
  waits for the same confirmation first.
- To a customer's mailbox (<user name>@ the policy's mailbox_domain): kept, sealed,
  for them to collect (communications.mailbox, COM-1).
Every one of them is a request in the ledger (requests.ledger), with its deadline.
"""

import datetime as dt
import email
import email.policy
import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from functools import lru_cache

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from hippocratic.accounts import notices
from hippocratic.accounts.models import Customer, Prospect
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.gateway import decided_elsewhere
from hippocratic.messaging import services, suppression
from hippocratic.messaging.models import BounceScore, InboundMail, Suppression
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose
from hippocratic.registry import Registry
from hippocratic.requests import ledger
from hippocratic.requests.models import Request
from hippocratic.requests.signals import RequestMail, tell

logger = logging.getLogger(__name__)
MAX_BYTES = 10 * 1024 * 1024
EMAIL = "user.contact.email"
INTAKE = Actor.system("messaging.inbound")
REMOVE = "remove from mailing list"
_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|sv|tr)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
# Quotes of every kind (curly ones by code point), brackets, emphasis marks.
_NOISE = re.compile("[\"'\u201c\u201d\u2018\u2019\u00ab\u00bb\\[\\]()<>*_]+")
_TOKEN = re.compile(r"^(reply|bounce)\+(p?\d+)-(\d+)-([0-9a-f]{16})@", re.IGNORECASE)
_STATUS = re.compile(r"^Status:\s*([245])\.\d{1,3}\.\d{1,3}", re.IGNORECASE | re.MULTILINE)
SOFT_BOUNCE_LIMIT = 5  # Mailman's bounce_score_threshold
REPLY_SALT = "hippocratic.messaging.reply"
_HEADERS = BytesParser(policy=email.policy.compat32)


# Apps that keep mail for customers add a function here (communications: mailboxes):
# (raw message, recipients, message key) -> Received, or None where none is theirs.
MAILBOXES: Registry[Callable[[bytes, list[str], str], int | None]] = Registry(
    "messaging.mailboxes",
    "Mail for customers' own mailboxes: deliver(raw, recipients, message_key) -> how many "
    "mailboxes stored it, None where no recipient is a mailbox address; LookupError where "
    "the addresses name no open mailbox.",
)


class MailRejected(ValueError):
    """The message cannot be taken; the reason fits on one line."""


@dataclass(frozen=True)
class Received:
    kind: str  # unsubscribe, reply, choice, support, bounce, mailbox or ignored
    done: bool
    request_id: int | None = None
    queued: bool = False  # kept for the worker to act on (accept)


@dataclass(frozen=True)
class Incoming:
    """What is kept of a message for its request: who sent it, what it asks and its
    Message-ID, never its text."""

    kind: str  # unsubscribe, reply, choice, support or bounce
    sender: str
    key: str
    who: str = ""  # whom a reply+ or bounce+ address names: "12", or "p7" for a prospect
    choice: str = ""  # the policy's choice a mail to security@ makes
    status: str = ""  # a bounce's delivery status class: "2", "4", "5", or "" if it has none
    received: dt.datetime | None = None  # when it came, where it waited in the queue


def _incoming(row: InboundMail) -> Incoming:
    """A queued row, as the message it keeps."""
    return Incoming(row.kind, row.sender, row.message_key, who=row.who, choice=row.choice,
                    status=row.status, received=row.created_at)  # fmt: skip


def asks_removal(subject: str) -> bool:
    """Whether a subject line asks to be removed from the mailing list."""
    text = _NOISE.sub(" ", _PREFIX.sub("", subject or ""))
    return REMOVE in " ".join(text.split()).casefold()


def reply_address(customer_id: int | str, campaign_id: int, kind: str = "reply") -> str | None:
    """A per-recipient address of a message: its Reply-To ("reply": a reply opts them
    out, MSG-4) or its envelope sender ("bounce": where the bounce comes back)."""
    contact = current_policy().provider.contacts.support
    if not contact.email:
        return None
    sig = _signature(customer_id, campaign_id, kind)
    return f"{kind}+{customer_id}-{campaign_id}-{sig}@{contact.email.rsplit('@', 1)[1]}"


def _signature(customer_id, campaign_id, kind: str) -> str:
    """16 hex digits: a local part has room for no more (64 characters in all). The
    same HMAC as Django's salted_hmac, its key derived once per secret, not per message."""
    message = f"{kind}.{customer_id}.{campaign_id}".encode()
    return hmac.new(_reply_key(settings.SECRET_KEY), message, hashlib.sha256).hexdigest()[:16]


@lru_cache(maxsize=4)
def _reply_key(secret: str) -> bytes:
    return hashlib.sha256((REPLY_SALT + secret).encode()).digest()


def _token_recipient(address: str, kind: str) -> str | None:
    """The recipient a signed reply+ or bounce+ address names: "12" (a customer) or
    "p7" (a prospect on the list); None if it is not one of ours."""
    found = _TOKEN.match(address)
    if not found or found.group(1).lower() != kind:
        return None
    _, who, campaign_id, sig = found.groups()
    who = who.lower()
    expected = _signature(who, campaign_id, kind)
    return who if constant_time_compare(sig.lower(), expected) else None


def _prospect_left(who: str, sender: str, key: str, kind: str, status: str) -> Received:
    """A prospect on the list replied (MSG-4) or their address bounced for good: off
    the list, recorded as a request done at once (it names no customer)."""

    prospect_id = int(who[1:])
    if kind == "bounce":
        if status != "5":
            return Received("bounce", False)  # a prospect's soft bounces are not counted
        suppression.suppress(_prospect_address(prospect_id), Suppression.Reason.BOUNCED)
        services.prospect_leave(prospect_id, "bounced")
        return Received("bounce", True)
    try:
        with transaction.atomic():
            request = ledger.open_request(
                kind=Request.Kind.UNSUBSCRIBE, channel=Request.Channel.REPLY, by=INTAKE,
                requester=Request.Requester.PROSPECT, sender=sender, message_key=key,
            )  # fmt: skip
            services.prospect_leave_recorded(
                prospect_id, Request.Channel.REPLY, "replied", by=INTAKE, request_id=request.pk
            )
    except IntegrityError:  # the same message again
        return Received("reply", True)
    return Received("reply", True, request.pk)


def _prospect_address(prospect_id: int) -> str:

    rows = Prospect.objects.for_purpose(INTAKE, Purpose.MARKETING_EMAIL)
    return rows.filter(pk=prospect_id).values_list("email", flat=True).first() or ""


def _parse(raw: bytes):
    if len(raw) > MAX_BYTES:
        raise MailRejected(f"message is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    if b"\x00" in raw[:65536]:
        raise MailRejected("message holds binary data, not mail")
    try:
        # Headers only (the body is never kept), without the header registry's parsing
        # of every header: the subject's encoded words are decoded here.
        headers = _HEADERS.parsebytes(raw, headersonly=True)
        subject = decoded_header(str(headers.get("Subject", "") or ""))
        sender = parseaddr(str(headers.get("From", "") or ""))[1].strip().lower()
        message_id = str(headers.get("Message-ID", "") or "").strip()
        to = [a.lower() for _, a in getaddresses([str(headers.get("To", "") or "")])]
    except Exception as error:  # the email package's many header errors
        raise MailRejected(f"unreadable headers: {type(error).__name__}") from None
    if not sender or "@" not in sender or len(sender) > 254:
        raise MailRejected("no sender address in From:")
    key = message_id[:100] or "sha256:" + hashlib.sha256(raw).hexdigest()[:64]
    return subject[:998], sender, key, to


def decoded_header(value: str) -> str:
    """A header's RFC 2047 encoded words decoded; as it came where they are broken."""
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, UnicodeDecodeError, ValueError):
        return value


def _choice_by_mail(contact: str) -> str:
    """The key of the opt-out choice the policy takes by mail to `contact` (security@)."""
    for choice in current_policy().choices:
        by_mail = any(ch.kind.value == "email" and ch.contact == contact for ch in choice.channels)
        if by_mail and choice.kind.value == "opt_out":
            return choice.key
    return ""


def receive(raw: bytes, recipients: list[str] | tuple = ()) -> Received:
    """Read a message and act on it before answering (the pipe)."""
    got = _sort(raw, recipients)
    return got if isinstance(got, Received) else act(got)


def accept(raw: bytes, recipients: list[str] | tuple = ()) -> Received:
    """Read a message and queue it for the worker (the LMTP server): a mailbox's mail
    is sealed and stored at once, mail for no one is ignored, the rest is one row."""
    got = _sort(raw, recipients)
    return got if isinstance(got, Received) else _queue(got)


def _sort(raw: bytes, recipients) -> "Incoming | Received":
    """What a message is, from its headers and envelope alone (mail for a mailbox is
    handed to it here); MailRejected where it cannot be read."""
    subject, sender, key, header_to = _parse(raw)
    to = [a.lower() for a in recipients] or header_to  # the envelope's, where there is one
    for deliver in MAILBOXES:  # mail for a customer's own mailbox
        try:
            stored = deliver(raw, to, key)
        except LookupError as unknown:
            raise MailRejected(str(unknown)) from None
        if stored is not None:
            return Received("mailbox", True)
    contacts = current_policy().provider.contacts
    unsubscribe, security = contacts.unsubscribe, contacts.security
    bounced = next((w for a in to if (w := _token_recipient(a, "bounce"))), None)
    replier = next((w for a in to if (w := _token_recipient(a, "reply"))), None)
    if bounced is not None:
        found = _STATUS.search(raw[:200_000].decode("utf-8", "replace"))
        return Incoming("bounce", sender, key, who=bounced, status=found.group(1) if found else "")
    if replier is not None and replier.startswith("p"):  # a prospect on the list (MSG-4)
        return Incoming("reply", sender, key, who=replier)
    if unsubscribe and unsubscribe.email and unsubscribe.email.lower() in to:
        if not asks_removal(subject):
            return Received("ignored", False)
        return Incoming("unsubscribe", sender, key)
    if replier is not None:
        return Incoming("reply", sender, key, who=replier)
    by_security = security and security.email and security.email.lower() in to
    if by_security and (choice := _choice_by_mail("security")):
        return Incoming("choice", sender, key, choice=choice)
    if contacts.support.email and contacts.support.email.lower() in to:
        return Incoming("support", sender, key)
    return Received("ignored", False)


_QUEUED = ("message_key", "kind", "sender", "who", "choice", "status", "attempts",
           "last_error", "created_at")  # fmt: skip


@lru_cache(maxsize=4)
def _queue_statement(alias: str) -> str:
    """One INSERT that skips a message already queued (an MTA's retry): SQLite and
    PostgreSQL both take ON CONFLICT DO NOTHING."""

    quote = connections[alias].ops.quote_name
    columns = ", ".join(quote(InboundMail._meta.get_field(n).column) for n in _QUEUED)
    return "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING".format(  # noqa: S608
        quote(InboundMail._meta.db_table), columns, ", ".join(["%s"] * len(_QUEUED))
    )  # names from the model, quoted; values are parameters


def _queue(mail: Incoming) -> Received:

    # Decided here: the intake keeps what the request needs, as the MTA's own queue
    # did, until the worker acts on it; no one else reads the row, and acting on it
    # (the request written, the customer looked up) is audited. One plain statement,
    # committed when it ends: it is the LMTP server's whole store, and the ORM's save
    # was most of its cost.
    connection = connections[InboundMail.internal.db]
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor, decided_elsewhere():
        cursor.execute(
            _queue_statement(connection.alias),
            [mail.key, mail.kind, mail.sender, mail.who, mail.choice, mail.status, 0, "", at],
        )
    return Received(mail.kind, False, queued=True)


def act_on_queued(limit: int = 10_000) -> dict:
    """Act on queued mail, oldest first, each message in one transaction with its row's
    deletion, so it is acted on once however many workers run. A message that fails
    stays queued with its error and is tried again on the next pass, up to
    MAX_ATTEMPTS times; a database that does not answer ends the pass. Counts."""

    counts = {"done": 0, "failed": 0}
    with decided_elsewhere():
        waiting = InboundMail.internal.filter(attempts__lt=InboundMail.MAX_ATTEMPTS)
        ids = list(waiting.order_by("pk").values_list("pk", flat=True)[:limit])
    for pk in ids:
        try:
            with transaction.atomic():
                with decided_elsewhere():
                    taken = InboundMail.internal.select_for_update(skip_locked=True)
                    row = taken.filter(pk=pk).first()
                    if row is None:
                        continue  # another worker acted on it
                    incoming = _incoming(row)
                    row.delete()
                act(incoming)  # through the gateway, audited
        except DatabaseError:
            raise
        except Exception as error:  # a fault of ours: kept, with the reason, for the next pass
            logger.exception("queued mail %s: acting on it failed", pk)
            with decided_elsewhere():
                InboundMail.internal.filter(pk=pk).update(
                    attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:200]
                )  # fmt: skip
            counts["failed"] += 1
        else:
            counts["done"] += 1
    return counts


_REQUESTS = {  # an incoming kind -> the request it makes
    "unsubscribe": (Request.Kind.UNSUBSCRIBE, Request.Channel.EMAIL),
    "reply": (Request.Kind.UNSUBSCRIBE, Request.Channel.REPLY),
    "choice": (Request.Kind.OPT_OUT, Request.Channel.EMAIL),
    "support": (Request.Kind.SUPPORT, Request.Channel.EMAIL),
}


def act(mail: Incoming) -> Received:
    """Do what a message asks: one request in the ledger (or a bounce counted)."""
    if mail.kind == "bounce":
        if mail.who.startswith("p"):
            return _prospect_left(mail.who, mail.sender, mail.key, "bounce", mail.status)
        return _bounce(int(mail.who), mail.status)
    if mail.kind == "reply" and mail.who.startswith("p"):
        return _prospect_left(mail.who, mail.sender, mail.key, "reply", mail.status)
    kind, channel = _REQUESTS[mail.kind]
    label, sender, key, choice = mail.kind, mail.sender, mail.key, mail.choice
    replier = int(mail.who) if mail.kind == "reply" else None
    now = mail.received or timezone.now()  # a request's deadline runs from its arrival
    try:
        # One transaction, one commit: the message is stored when it ends.
        with transaction.atomic():
            customer_id = replier if channel == Request.Channel.REPLY else _customer_of(sender)
            leaving = kind == Request.Kind.UNSUBSCRIBE and customer_id is not None
            # Anything but leaving the list waits until the customer confirms by a link
            # sent to their address: a From: line is easily forged.
            confirming = customer_id is not None and not leaving
            request = ledger.open_request(
                kind=kind, channel=channel, by=INTAKE, customer_id=customer_id, choice=choice,
                sender=sender, message_key=key, received=now,
                requester=Request.Requester.UNVERIFIED if confirming or not customer_id
                else Request.Requester.CUSTOMER,
                status=Request.Status.CONFIRMING if confirming else Request.Status.OPEN,
            )  # fmt: skip
            if leaving:
                # The customer's own request: it runs as them (the opt-out is all it does).
                me = Actor.for_customer(customer_id)
                services.leave_recorded(customer_id, channel, f"by mail ({label})", by=me,
                                        request_id=request.pk)  # fmt: skip
                transaction.on_commit(lambda: _confirm(sender))
            elif confirming:
                tell(request.pk, RequestMail.CONFIRM)
    except IntegrityError:  # the same message again (an MTA's retry): stored once
        earlier = ledger.requests_for(INTAKE).filter(message_key=key)
        row = earlier.values("pk", "channel", "kind", "status").first()
        if row is None:
            raise
        return Received(_label(row), row["status"] == Request.Status.DONE, row["pk"])
    return Received(label, leaving, request.pk)


def _label(row: dict) -> str:
    if row["channel"] == Request.Channel.REPLY:
        return "reply"
    return "choice" if row["kind"] == Request.Kind.OPT_OUT else row["kind"]


def _customer_of(sender: str) -> int | None:
    """The customer whose address sent the mail; None where the policy keeps no
    customer's address (Dracon, the ISP, Quality): no one can be found by it there."""
    if EMAIL not in current_policy().collected_categories("customer"):
        return None
    # lower(email) = the sender (already lower-cased): the index on lower(email) answers it.
    rows = (
        Customer.objects.for_purpose(INTAKE, ledger.purpose())
        .alias(email_lower=Lower("email"))
        .filter(email_lower=sender)
    )
    return rows.values_list("pk", flat=True).first()


def _confirm(sender: str) -> None:
    name = current_policy().provider.name
    notices.mail_address(
        sender,
        f"You are off {name}'s mailing list",
        f"We received your request and removed {sender} from our mailing list. "
        "Service bulletins about your account still reach you.\n\n" + name,
    )


def _bounce(customer_id: int, status: str) -> Received:
    """A bounce of one of our messages: 5.x.x stops mail to the address at once (and
    suppresses it), 4.x.x or an unreadable report counts towards the limit."""

    hard = status == "5"
    now = timezone.now()
    with transaction.atomic():
        scores = BounceScore.objects.for_purpose(INTAKE, ledger.purpose())
        if not scores.filter(customer_id=customer_id).exists():
            if (
                not Customer.objects.for_purpose(INTAKE, ledger.purpose())
                .filter(pk=customer_id)
                .exists()
            ):
                return Received("ignored", False)
            scores.create(customer_id=customer_id)
        mine = scores.filter(customer_id=customer_id)
        score = mine.values_list("score", flat=True).get() + (SOFT_BOUNCE_LIMIT if hard else 1)
        stop = score >= SOFT_BOUNCE_LIMIT
        mine.filter(disabled_at__isnull=True).update(
            score=min(score, 1000), **({"disabled_at": now} if stop else {})
        )
        if hard:
            address = (
                Customer.objects.for_purpose(INTAKE, ledger.purpose()).filter(pk=customer_id)
                .values_list("email", flat=True).first()
            )  # fmt: skip
            suppression.suppress(address or "", Suppression.Reason.BOUNCED)
    return Received("bounce", stop)
