"""Customers' mailboxes: mail kept only to deliver it (COM-1).

Mail for <user name>@<the policy's mailbox_domain> comes in by LMTP (or a piped .eml,
messaging.inbound) and is stored sealed with the customer's own key. The customer
reads it on the site or by the API, or downloads it; the first time they do, it is
delivered, and retention deletes it the policy's period later (a message never
collected goes after its own, longer period). Erasing the customer destroys their
key (crypto-erasure) and their messages with it.
"""

import base64
import datetime as dt
import email
import email.policy
import json
from dataclasses import dataclass, replace
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid, parsedate_to_datetime
from functools import cached_property

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from hippocratic import mailtext
from hippocratic.accounts.models import Customer
from hippocratic.communications import crypto
from hippocratic.communications.models import MailboxKey, StoredMessage
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.gateway import decided_elsewhere
from hippocratic.mailheaders import decoded_header
from hippocratic.provider import current_policy, sender
from hippocratic.purposes import Purpose

INTAKE = Actor.system("communications.mailbox")
PAGE = 50
MAX_PAGE = 200
LIST_FIELDS = ("pk", "created_at", "status", "size", "delivered_at", "summary")
_HEADERS = BytesParser(policy=email.policy.compat32)
_KEY_SQL = "SELECT wrapped FROM communications_mailboxkey WHERE customer_id = %s"


class NoSuchMailbox(LookupError):
    """No customer's mailbox has this address."""


class MailboxFull(LookupError):
    """The mailbox holds its quota (HIPPOCRATIC_MAILBOX_QUOTA): the MTA keeps the
    message and tries again, as mail is deleted after delivery (452 4.2.2)."""

    smtp_code = "452 4.2.2"


class OverQuota(MailboxFull):
    """The message alone is larger than a whole mailbox's quota: it never fits."""

    smtp_code = "552 5.2.2"


@dataclass(frozen=True)
class Summary:
    id: int
    received_at: dt.datetime
    status: str
    size: int
    delivered_at: dt.datetime | None
    sender: str
    subject: str
    date: str  # the Date header as the sender wrote it

    @property
    def sent_at(self) -> dt.datetime | None:
        """When the sender says they sent it (the Date header), None if unreadable: for
        the page to write in the reader's style, not RFC 2822's."""
        try:
            sent = parsedate_to_datetime(self.date)
        except (TypeError, ValueError, IndexError):
            return None
        return sent if sent.tzinfo else sent.replace(tzinfo=dt.UTC)


def domain() -> str | None:
    comms = current_policy().communications
    return comms.mailbox_domain if comms is not None else None


def is_mailbox_address(address: str) -> bool:
    mailbox_domain = domain()
    return bool(mailbox_domain) and address.lower().rsplit("@", 1)[-1] == mailbox_domain


def address_of(username: str) -> str | None:
    mailbox_domain = domain()
    return f"{username.lower()}@{mailbox_domain}" if mailbox_domain else None


def customer_of(address: str, *, by: Actor = INTAKE) -> int:
    """The customer whose mailbox `address` is; NoSuchMailbox where none is open."""
    local = address.lower().rsplit("@", 1)[0]
    open_accounts = Customer.objects.for_purpose(by, Purpose.SERVICE).filter(closed_at__isnull=True)
    mine = open_accounts.filter(user__username__iexact=local, user__is_active=True)
    found = mine.values_list("pk", flat=True).first()
    if found is None:
        raise NoSuchMailbox(f"no mailbox {address}")
    return found


def _cipher(customer_id: int, *, create: bool = False):
    """The customer's cipher, from their wrapped key as the database holds it now (one
    plain query: a page of mail asks for it twice)."""
    with connection.cursor() as cursor:
        cursor.execute(_KEY_SQL, [customer_id])
        found = cursor.fetchone()
    key = found[0] if found else None
    if key is None:
        if not create:
            raise crypto.Unreadable(f"customer {customer_id} has no mailbox key")
        try:
            with transaction.atomic():
                key = MailboxKey.objects.create(
                    customer_id=customer_id, wrapped=crypto.new_wrapped_key(customer_id)
                ).wrapped
        except IntegrityError:  # made at the same moment by another delivery
            key = MailboxKey.objects.values_list("wrapped", flat=True).get(customer_id=customer_id)
    return crypto.cipher(customer_id, key)


def _summary_of(headers: email.message.Message) -> dict:
    return {
        "from": decoded_header(str(headers.get("From", "") or ""))[:300],
        "subject": decoded_header(str(headers.get("Subject", "") or ""))[:998],
        "date": str(headers.get("Date", "") or "")[:100],
    }


def store(customer_id: int, raw: bytes, *, message_id: str = "", encrypt: bool = True) -> int:
    """Keep one message for the customer; the same Message-ID again is kept once.
    Returns the stored message's number. (`encrypt=False` is for `make bench` only.)"""
    headers = _HEADERS.parsebytes(raw, headersonly=True)
    message_id = message_id or str(headers.get("Message-ID", "") or "") or make_msgid()
    summary = json.dumps(_summary_of(headers)).encode()
    if encrypt:
        aead = _cipher(customer_id, create=True)
        summary = crypto.seal(aead, customer_id, "summary", summary)
        raw_sealed = crypto.seal(aead, customer_id, "content", raw)
    else:
        raw_sealed = raw
    lookup, *before_rotation = crypto.lookup_keys(customer_id, message_id)
    rows = StoredMessage.objects.for_purpose(INTAKE, Purpose.SERVICE)
    earlier = rows.filter(customer_id=customer_id, lookup__in=[lookup, *before_rotation])
    if (pk := earlier.values_list("pk", flat=True).first()) is not None:
        return pk  # an MTA's retry (under this key or an older one of the ring): stored
        # once, however full the mailbox is now
    _make_room(rows.filter(customer_id=customer_id), len(raw))
    try:
        with transaction.atomic():
            return rows.create(
                customer_id=customer_id, summary=summary, content=raw_sealed, size=len(raw),
                lookup=lookup,
            ).pk  # fmt: skip
    except IntegrityError:  # an MTA's retry: stored once
        return (
            rows.filter(customer_id=customer_id, lookup=lookup).values_list("pk", flat=True).get()
        )


def _make_room(mine, size: int) -> None:
    """MailboxFull where `size` more bytes would take the mailbox over its quota."""
    quota = settings.HIPPOCRATIC_MAILBOX_QUOTA
    if size > quota:
        raise OverQuota(f"the message is larger than a mailbox's quota ({quota // 2**20} MiB)")
    held = mine.aggregate(held=Sum("size"))["held"] or 0
    if held + size > quota:
        raise MailboxFull(f"the mailbox is full ({quota // 2**20} MiB); try again later")


def summaries(rows, customer_id: int, aead=None) -> list[Summary]:
    """Open the summaries of `rows` (values of LIST_FIELDS) with the customer's key."""
    rows = list(rows)
    if not rows:
        return []
    aead = aead or _cipher(customer_id)
    found = []
    for row in rows:
        data = json.loads(crypto.unseal(aead, customer_id, "summary", row["summary"]))
        found.append(Summary(
            row["pk"], row["created_at"], row["status"], row["size"], row["delivered_at"],
            data["from"], data["subject"], data["date"],
        ))  # fmt: skip
    return found


def page(customer_id: int, *, before: int | None = None, limit: int = PAGE) -> list[Summary]:
    """The customer's newest messages (older than message `before`), as the customer."""
    rows = StoredMessage.objects.for_purpose(Actor.for_customer(customer_id), Purpose.SERVICE)
    if before is not None:
        rows = rows.filter(pk__lt=before)
    rows = rows.order_by("-pk").values(*LIST_FIELDS)[: max(1, min(limit, MAX_PAGE))]
    return summaries(rows, customer_id)


def holds(customer_id: int, message_id: int) -> bool:
    mine = StoredMessage.objects.for_purpose(Actor.for_customer(customer_id), Purpose.SERVICE)
    return mine.filter(pk=message_id).exists()


@dataclass(frozen=True)
class Opened:
    summary: Summary
    raw: bytes | None  # None when blocked (COM-4)

    @cached_property
    def _shown(self) -> tuple[str, str]:
        if self.raw is None:
            return "", ""
        try:
            return mailtext.plain_text(self.raw), ""
        except mailtext.TooComplex as reason:
            note = f"This message is too complex to show here ({reason}); download it to read it"
            return "", note + " in your mail program."

    @property
    def text(self) -> str:
        """The message's text part, for reading on the page (HTML is never rendered:
        it could load from elsewhere); "" where it is too complex to show."""
        return self._shown[0]

    @property
    def too_complex(self) -> str:
        """Why the message is shown only as a download ("" where it is shown)."""
        return self._shown[1]


def open_message(rows, message_id: int, customer_id: int) -> Opened:
    """One message of `rows` (the customer's, or a case's), opened. Raises
    StoredMessage.DoesNotExist where `rows` hold no such message."""
    row = rows.filter(pk=message_id).values(*LIST_FIELDS, "content").get()
    aead = _cipher(customer_id)
    (summary,) = summaries([row], customer_id, aead)
    if row["status"] == StoredMessage.Status.BLOCKED:
        return Opened(summary, None)
    return Opened(summary, crypto.unseal(aead, customer_id, "content", row["content"]))


def collect(customer_id: int, message_id: int) -> Opened:
    """The customer reads or downloads a message: it is delivered from then on."""
    mine = StoredMessage.objects.for_purpose(Actor.for_customer(customer_id), Purpose.SERVICE)
    opened = open_message(mine, message_id, customer_id)
    if opened.raw is not None and opened.summary.delivered_at is None:
        now, delivered = timezone.now(), StoredMessage.Status.DELIVERED
        mine.filter(pk=message_id, delivered_at__isnull=True).update(
            status=delivered, delivered_at=now
        )
        summary = replace(opened.summary, status=delivered, delivered_at=now)
        return Opened(summary, opened.raw)
    return opened


def notify(customer_id: int, subject: str, text: str) -> int:
    """A notice from the provider, left in the customer's mailbox (e.g. that staff
    blocked a message, COM-4): it reaches them whether or not we hold another address."""
    message = email.message.EmailMessage()
    message["From"] = sender()
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = make_msgid(domain=domain() or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no responder answers it
    message.set_content(text)
    return store(customer_id, message.as_bytes())


def destroy_key(customer_id: int) -> None:
    """Crypto-erasure: the customer's key goes, and every message sealed with it is
    unreadable wherever a copy lies. Called inside the erasure's transaction, whose own
    loop deletes (counts and audits) the messages themselves."""
    MailboxKey.objects.filter(customer_id=customer_id).delete()


def for_disclosure(customer_ids) -> dict[int, list[dict]]:
    """The customers' stored messages, opened, for a package to the authorities under
    legal process (COM-3): read by disclosure.approve, which decided the share on a
    ground the communications section names and audits it per customer."""
    found: dict[int, list[dict]] = {}
    with decided_elsewhere():
        rows = StoredMessage.internal.filter(customer_id__in=list(customer_ids)).order_by("pk")
        rows = list(rows.values("customer_id", "pk", "created_at", "content"))
    for row in rows:
        customer_id = row["customer_id"]
        raw = crypto.unseal(_cipher(customer_id), customer_id, "content", row["content"])
        found.setdefault(customer_id, []).append({
            "id": row["pk"], "received_at": row["created_at"],
            "message_base64": base64.b64encode(raw).decode(),
        })  # fmt: skip
    return found


def owner_rows(customer_id: int) -> list[dict]:
    """The customer's messages as their data page and export show them: opened (the rows
    are sealed; accounts.own_data.OWN_ROWS asks here)."""
    return [
        {"id": m.id, "created_at": m.received_at, "from": m.sender, "subject": m.subject,
         "status": m.status, "size": m.size}
        for m in page(customer_id, limit=MAX_PAGE)
    ]  # fmt: skip
