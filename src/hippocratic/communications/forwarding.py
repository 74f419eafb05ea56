"""Mail forwarded to an address the customer chooses (COM-1): each message is sent on
by the worker as it came, with Resent- headers, and counts as delivered."""

import email
import email.policy
import logging
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, mailers
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from hippocratic.communications import mailbox
from hippocratic.communications.models import Forwarding, StoredMessage
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.gateway import purpose_for
from hippocratic.provider import current_policy, is_own_address, sender_address
from hippocratic.purposes import Purpose

FORWARDER = Actor.system("communications.forward")
logger = logging.getLogger(__name__)


def offered() -> bool:
    """Where the policy keeps mailboxes and collects e-mail addresses from customers."""
    collected = current_policy().collected_categories("customer")
    return bool(mailbox.domain()) and "user.contact.email" in collected


def _rows(actor: Actor):
    return Forwarding.objects.for_purpose(actor, purpose_for(Forwarding))


def address_of(customer_id: int, *, by: Actor | None = None) -> str:
    mine = _rows(by or Actor.for_customer(customer_id)).filter(customer_id=customer_id)
    return mine.values_list("address", flat=True).first() or ""


def set_address(customer_id: int, address: str) -> None:
    address = address.strip().lower()
    validate_email(address)
    if mailbox.is_mailbox_address(address) or is_own_address(address):
        raise ValidationError(
            "forward to an address elsewhere, not to one of ours (a mailbox, support@, "
            "a reply address): the mail would come back and be forwarded again"
        )
    mine = _rows(Actor.for_customer(customer_id)).filter(customer_id=customer_id)
    with transaction.atomic():
        if not mine.update(address=address):
            _rows(Actor.for_customer(customer_id)).create(customer_id=customer_id, address=address)


def stop(customer_id: int) -> None:
    _rows(Actor.for_customer(customer_id)).filter(customer_id=customer_id).delete()


MAX_HOPS = 30  # Received: headers a message may carry and still be sent on (Postfix: 50)
_HEADERS = BytesParser(policy=email.policy.compat32)


def loop_marker() -> str:
    """What each forwarded message carries in X-Loop, and no other mail does."""
    return f"forwarded-by@{mailbox.domain() or 'mailbox.invalid'}"


def looped(raw: bytes) -> str:
    """Why sending `raw` on would be a loop, or "": it carries our own X-Loop or
    Resent-From (it went out from here before, and came back: with or without a
    Message-ID), or more Received: hops than MAX_HOPS."""
    headers = _HEADERS.parsebytes(raw, headersonly=True)
    ours = {loop_marker(), sender_address().lower()}
    for name in ("X-Loop", "Resent-From"):
        for value in headers.get_all(name, []):
            if {a.lower() for _, a in getaddresses([str(value)])} & ours:
                return f"it was forwarded from here before ({name})"
    if len(headers.get_all("Received", [])) > MAX_HOPS:
        return f"it has passed more than {MAX_HOPS} mail servers"
    return ""


class Forwarded(EmailMessage):
    """A stored message sent on as it came, with Resent- headers (RFC 5322 3.6.6) and
    our X-Loop, by which it is known if it comes back."""

    def __init__(self, raw: bytes, to: str):
        super().__init__(from_email=sender_address(), to=[to])
        self.raw = raw

    def message(self, *, policy=email.policy.default):
        message = email.message_from_bytes(self.raw, policy=policy)
        message["Resent-From"] = self.from_email
        message["Resent-To"] = self.to[0]
        message["Resent-Date"] = format_datetime(timezone.now())
        message["X-Loop"] = loop_marker()
        return message


def forward(customer_id: int, message_id: int) -> bool:
    """Send one stored message on, if the customer still forwards; it is delivered."""
    to = address_of(customer_id, by=FORWARDER)
    if not to:
        return False
    rows = StoredMessage.objects.for_purpose(FORWARDER, Purpose.SERVICE).filter(
        customer_id=customer_id
    )
    try:
        opened = mailbox.open_message(rows, message_id, customer_id)
    except StoredMessage.DoesNotExist:
        return False  # deleted or erased meanwhile
    if opened.raw is None or opened.summary.delivered_at is not None:
        return False  # blocked, or delivered already (a retried task)
    if why := looped(opened.raw):
        logger.warning("message %s of customer %s not forwarded: %s", message_id, customer_id, why)
        return False  # kept in the mailbox, to be read there
    mailers.default.send_messages([Forwarded(opened.raw, to)])
    rows.filter(pk=message_id, delivered_at__isnull=True).update(
        status=StoredMessage.Status.DELIVERED, delivered_at=timezone.now()
    )
    return True
