"""Mail that comes in (MSG-3, MSG-4), by LMTP from the MTA or piped as an .eml.

    receive(raw_bytes, recipients=["unsubscribe@ducallier.com"]) -> Received

A message is answered "stored" only once its request is committed; a message that
cannot be read gets MailRejected with a one-line reason (the LMTP server answers 5xx),
and a database that does not answer raises, so the LMTP server answers 4xx and the
MTA tries again. Storing is idempotent by Message-ID: a retried delivery is one request.

- To the policy's unsubscribe address, with "Remove From Mailing List" in the subject
  (any case, Re:/Fwd:, quotes, spaces, encoded words): the sender leaves the list at
  once if they are a customer, else the request waits for staff; due within the
  choice's deadline (Ducallier: 14 days). The sender gets a confirmation.
- To a message's per-recipient reply address (reply+<token>@…): that customer opts out
  of marketing mail (MSG-4).
- To the support address: a request in the staff queue.
"""

import datetime as dt
import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from email.utils import getaddresses, parseaddr

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from hippocratic.accounts.models import Customer
from hippocratic.enforcement.actors import Actor
from hippocratic.messaging import services
from hippocratic.messaging.models import MailRequest
from hippocratic.provider import current_policy, sender_address

MAX_BYTES = 10 * 1024 * 1024
INTAKE = Actor.system("messaging.inbound")
SUPPORT = "essential.service.operations.support"
REMOVE = "remove from mailing list"
_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|sv|tr)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
# Quotes of every kind (curly ones by code point), brackets, emphasis marks.
_NOISE = re.compile("[\"'\u201c\u201d\u2018\u2019\u00ab\u00bb\\[\\]()<>*_]+")
_TOKEN = re.compile(r"^(reply|bounce)\+(\d+)-(\d+)-([0-9a-f]{16})@", re.IGNORECASE)
_STATUS = re.compile(r"^Status:\s*([245])\.\d{1,3}\.\d{1,3}", re.IGNORECASE | re.MULTILINE)
SOFT_BOUNCE_LIMIT = 5  # Mailman's bounce_score_threshold
REPLY_SALT = "hippocratic.messaging.reply"
DEFAULT_DEADLINE_DAYS = 14


class MailRejected(ValueError):
    """The message cannot be taken; the reason fits on one line."""


@dataclass(frozen=True)
class Received:
    kind: str  # a MailRequest.Kind, or "ignored"
    done: bool
    request_id: int | None = None


def asks_removal(subject: str) -> bool:
    """Whether a subject line asks to be removed from the mailing list."""
    text = _NOISE.sub(" ", _PREFIX.sub("", subject or ""))
    return REMOVE in " ".join(text.split()).casefold()


def reply_address(customer_id: int, campaign_id: int, kind: str = "reply") -> str | None:
    """A per-recipient address of a message: its Reply-To ("reply": a reply opts them
    out, MSG-4) or its envelope sender ("bounce": where the bounce comes back)."""
    contact = current_policy().provider.contacts.support
    if not contact.email:
        return None
    sig = _signature(customer_id, campaign_id, kind)
    return f"{kind}+{customer_id}-{campaign_id}-{sig}@{contact.email.rsplit('@', 1)[1]}"


def _signature(customer_id, campaign_id, kind: str) -> str:
    """16 hex digits: a local part has room for no more (64 characters in all)."""
    mac = salted_hmac(REPLY_SALT, f"{kind}.{customer_id}.{campaign_id}", algorithm="sha256")
    return mac.hexdigest()[:16]


def _token_customer(address: str, kind: str) -> int | None:
    found = _TOKEN.match(address)
    if not found or found.group(1).lower() != kind:
        return None
    _, customer_id, campaign_id, sig = found.groups()
    expected = _signature(customer_id, campaign_id, kind)
    return int(customer_id) if constant_time_compare(sig.lower(), expected) else None


def _parse(raw: bytes):
    if len(raw) > MAX_BYTES:
        raise MailRejected(f"message is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    if b"\x00" in raw[:65536]:
        raise MailRejected("message holds binary data, not mail")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        subject = str(message.get("Subject", "") or "")
        sender = parseaddr(str(message.get("From", "") or ""))[1].strip().lower()
        message_id = str(message.get("Message-ID", "") or "").strip()
        to = [a.lower() for _, a in getaddresses([str(message.get("To", "") or "")])]
    except Exception as error:  # the email package's many header errors
        raise MailRejected(f"unreadable headers: {type(error).__name__}") from None
    if not sender or "@" not in sender or len(sender) > 254:
        raise MailRejected("no sender address in From:")
    key = message_id[:100] or "sha256:" + hashlib.sha256(raw).hexdigest()[:64]
    return subject[:998], sender, key, to


def _deadline_days() -> int:
    for choice in current_policy().choices:
        if choice.key == "unsubscribe" and choice.deadline_days:
            return choice.deadline_days
    return DEFAULT_DEADLINE_DAYS


def receive(raw: bytes, recipients: list[str] | tuple = ()) -> Received:
    subject, sender, key, header_to = _parse(raw)
    to = [a.lower() for a in recipients] or header_to  # the envelope's, where there is one
    contacts = current_policy().provider.contacts
    unsubscribe = getattr(contacts, "unsubscribe", None)
    replier = next((c for a in to if (c := _token_customer(a, "reply"))), None)
    bounced = next((c for a in to if (c := _token_customer(a, "bounce"))), None)
    if bounced is not None:
        return _bounce(bounced, raw)
    if unsubscribe and unsubscribe.email and unsubscribe.email.lower() in to:
        if not asks_removal(subject):
            return Received("ignored", False)
        kind = MailRequest.Kind.UNSUBSCRIBE
    elif replier is not None:
        kind = MailRequest.Kind.REPLY
    elif contacts.support.email and contacts.support.email.lower() in to:
        kind = MailRequest.Kind.SUPPORT
    else:
        return Received("ignored", False)
    now = timezone.now()
    try:
        # One transaction, one commit: the message is stored when it ends.
        with transaction.atomic():
            customer_id = replier if kind == MailRequest.Kind.REPLY else _customer_of(sender)
            request = MailRequest.objects.for_purpose(INTAKE, SUPPORT).create(
                kind=kind, message_key=key, sender=sender, customer_id=customer_id, created_at=now,
                due_at=now + dt.timedelta(days=_deadline_days()),
            )  # fmt: skip
            done = kind != MailRequest.Kind.SUPPORT and customer_id is not None
            if done:
                # The customer's own request: it runs as them (the opt-out is all it does).
                services.leave(customer_id, f"by mail ({kind})", by=Actor.for_customer(customer_id))
                MailRequest.objects.for_purpose(INTAKE, SUPPORT).filter(pk=request.pk).update(
                    done_at=now, outcome="left the mailing list"
                )
                transaction.on_commit(lambda: _confirm(sender))
    except IntegrityError:  # the same message again (an MTA's retry): stored once
        earlier = MailRequest.objects.for_purpose(INTAKE, SUPPORT).filter(message_key=key)
        row = earlier.values("pk", "kind", "done_at").first()
        if row is None:
            raise
        return Received(row["kind"], row["done_at"] is not None, row["pk"])
    return Received(kind, done, request.pk)


def _customer_of(sender: str) -> int | None:
    rows = Customer.objects.for_purpose(INTAKE, SUPPORT).filter(email__iexact=sender)
    return rows.values_list("pk", flat=True).first()


def _confirm(sender: str) -> None:
    name = current_policy().provider.name
    send_mail(
        f"You are off {name}'s mailing list",
        f"We received your request and removed {sender} from our mailing list. "
        "Service bulletins about your account still reach you.\n\n" + name,
        sender_address(),
        [sender],
    )


def _bounce(customer_id: int, raw: bytes) -> Received:
    """A bounce of one of our messages: 5.x.x stops mail to the address at once (and
    suppresses it), 4.x.x or an unreadable report counts towards the limit."""
    from hippocratic.messaging import suppression
    from hippocratic.messaging.models import BounceScore, Suppression

    status = _STATUS.search(raw[:200_000].decode("utf-8", "replace"))
    hard = status is not None and status.group(1) == "5"
    now = timezone.now()
    with transaction.atomic():
        scores = BounceScore.objects.for_purpose(INTAKE, SUPPORT)
        if not scores.filter(customer_id=customer_id).exists():
            if not Customer.objects.for_purpose(INTAKE, SUPPORT).filter(pk=customer_id).exists():
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
                Customer.objects.for_purpose(INTAKE, SUPPORT).filter(pk=customer_id)
                .values_list("email", flat=True).first()
            )  # fmt: skip
            suppression.suppress(address or "", Suppression.Reason.BOUNCED)
    return Received("bounce", stop)
