"""What a message is, from its headers and envelope (and, for support, its text).

    sort(raw, recipients) -> Incoming | Received

The steps run in order; each looks at the message and the policy's contacts and
returns what the message is (Incoming: to act on; Received: mail for a mailbox,
stored at once, or a message ignored with its reason) or None to pass it on. The
first answer wins; a message no step claims is none of ours. Reading SORTING tells
the rules, and their order is theirs: a bounce+ address wins over everything, a
prospect's reply+ address over the unsubscribe address, which wins over a customer's.
"""

import re
from collections.abc import Callable
from dataclasses import replace

from hippocratic import mailtext
from hippocratic.messaging.inbound.addresses import asks_removal, signed_recipient
from hippocratic.messaging.inbound.outcomes import (
    Ignored,
    Incoming,
    Kind,
    MailRejected,
    Received,
)
from hippocratic.messaging.inbound.reading import Message, read
from hippocratic.provider import current_policy
from hippocratic.registry import Registry
from hippocratic.requests.models import SUBJECT_MAX, TEXT_MAX

_STATUS = re.compile(r"^Status:\s*([245])\.\d{1,3}\.\d{1,3}", re.IGNORECASE | re.MULTILINE)

# Apps that keep mail for customers add a function here (communications: mailboxes):
# (raw message, recipients, message key) -> Received, or None where none is theirs.
MAILBOXES: Registry[Callable[[bytes, list[str], str], int | None]] = Registry(
    "messaging.mailboxes",
    "Mail for customers' own mailboxes: deliver(raw, recipients, message_key) -> how many "
    "mailboxes stored it, None where no recipient is a mailbox address; LookupError where "
    "the addresses name no open mailbox (its `smtp_code`, if any, is the answer: a full "
    "mailbox's 452 4.2.2).",
)


def _to(mail: Message, contact) -> bool:
    """Whether the message came to a contact of the policy's (one with an address)."""
    return bool(contact and contact.email and contact.email.lower() in mail.to)


def for_a_mailbox(mail: Message, contacts) -> Received | None:
    """To a customer's mailbox (<user name>@ the policy's mailbox_domain): stored there
    at once, sealed (communications.mailbox, COM-1); rejected where it names no open
    mailbox (or over its quota: the error's `smtp_code` says 452 or 552)."""
    for deliver in MAILBOXES:
        try:
            stored = deliver(mail.raw, list(mail.to), mail.message_id)
        except LookupError as unknown:
            raise MailRejected(str(unknown), getattr(unknown, "smtp_code", "550 5.1.1")) from None
        if stored is not None:
            return Received(Kind.MAILBOX, True)
    return None


def bounced(mail: Message, contacts) -> Incoming | None:
    """To a bounce+ address: one of our messages did not arrive; the report's status
    class (5: for good, 4: for now) says what to do."""
    who = signed_recipient(mail.to, "bounce")
    if who is None:
        return None
    found = _STATUS.search(mail.raw[:200_000].decode("utf-8", "replace"))
    status = found.group(1) if found else ""
    return Incoming(Kind.BOUNCE, mail.sender, mail.key, who=who, status=status)


def sent_by_a_program(mail: Message, contacts) -> Received | None:
    """Past the mailboxes and the bounces, anything a program sent (RFC 3834
    Auto-Submitted, Precedence: bulk/list, a delivery report) is ignored: every step
    below may answer its sender, and an answer to an autoresponder is a loop (a vacation
    reply to a reply+ address is not its recipient leaving the list, either)."""
    return Received.ignored(Ignored.AUTOMATIC) if mail.automatic else None


def prospect_replied(mail: Message, contacts) -> Incoming | None:
    """To a prospect's reply+ address: they leave the list (MSG-4)."""
    who = signed_recipient(mail.to, "reply")
    if who is None or not who.startswith("p"):
        return None
    return Incoming(Kind.REPLY, mail.sender, mail.key, who=who)


def asked_to_unsubscribe(mail: Message, contacts) -> Incoming | Received | None:
    """To the unsubscribe address, with "Remove From Mailing List" in the subject (any
    case, Re:/Fwd:, quotes, spaces, encoded words); without it, ignored."""
    if not _to(mail, contacts.unsubscribe):
        return None
    if not asks_removal(mail.subject):
        return Received.ignored(Ignored.NOT_A_REMOVAL_SUBJECT)
    return Incoming(Kind.UNSUBSCRIBE, mail.sender, mail.key, proven=mail.proven)


def customer_replied(mail: Message, contacts) -> Incoming | None:
    """To a customer's reply+ address: they leave the list (MSG-4)."""
    who = signed_recipient(mail.to, "reply")
    if who is None:
        return None
    return Incoming(Kind.REPLY, mail.sender, mail.key, who=who, proven=True)  # the token


def made_a_choice(mail: Message, contacts) -> Incoming | None:
    """To the security address, where the policy takes an opt-out choice there by mail
    (Ducallier): a request to change how the sender's information is used."""
    if not _to(mail, contacts.security):
        return None
    choice = _choice_by_mail("security")
    key = f"{mail.key}/choice"  # as support's: one delivery may name several of ours
    return Incoming(Kind.CHOICE, mail.sender, key, choice=choice) if choice else None


def wrote_to_support(mail: Message, contacts) -> Incoming | None:
    """To the support address: a request in the staff queue that keeps what was asked
    (the subject and the plain text, within bounds; sealed where it is kept). Its key
    names the kind, so one delivery to support@ and to the unsubscribe address makes
    both requests."""
    if not _to(mail, contacts.support):
        return None
    subject = mail.subject.replace("\x00", "")[:SUBJECT_MAX]
    return Incoming(Kind.SUPPORT, mail.sender, f"{mail.key}/support", subject=subject,
                    text=_text_of(mail.raw))  # fmt: skip


def _text_of(raw: bytes) -> str:
    """A message's plain text for its request, at most TEXT_MAX characters; where the
    message is over mailtext's bounds, why it is not shown."""
    try:
        text = mailtext.plain_text(raw)
    except mailtext.TooComplex as reason:
        text = f"[The text of this message is not kept: {reason}.]"
    return text.replace("\x00", "").strip()[:TEXT_MAX]


def _choice_by_mail(contact: str) -> str:
    """The key of the opt-out choice the policy takes by mail to `contact` (security@)."""
    for choice in current_policy().choices:
        by_mail = any(ch.kind.value == "email" and ch.contact == contact for ch in choice.channels)
        if by_mail and choice.kind.value == "opt_out":
            return choice.key
    return ""


SORTING = (
    for_a_mailbox,
    bounced,
    sent_by_a_program,
    prospect_replied,
    asked_to_unsubscribe,
    customer_replied,
    made_a_choice,
    wrote_to_support,
)


def _sort(mail: Message, contacts) -> Incoming | Received:
    for step in SORTING:
        found = step(mail, contacts)
        if found is not None:
            return found
    return Received.ignored(Ignored.NO_RECIPIENT_OF_OURS)


def sort(raw: bytes, recipients) -> Incoming | Received:
    """What a message is, for all its recipients at once (mail for a mailbox is handed
    to it here); MailRejected where it cannot be read."""
    mail = read(raw, recipients)
    return _sort(mail, current_policy().provider.contacts)


Sorted = Incoming | Received | MailRejected


def sort_each(raw: bytes, recipients) -> list[Sorted]:
    """What a message is for each of its envelope recipients, in their order (LMTP
    answers each recipient: one delivery to a mailbox and to support@ is stored in the
    one and a request for the other). MailRejected for the whole message where it
    cannot be read; a recipient's own refusal (an unknown mailbox) is its entry. With
    no envelope recipients (a pipe), the To: header's addresses are one recipient."""
    mail = read(raw, recipients)
    contacts = current_policy().provider.contacts
    if not recipients:
        return [_sort(mail, contacts)]
    found: list[Sorted] = []
    for address in mail.to:
        try:
            found.append(_sort(replace(mail, to=(address,)), contacts))
        except MailRejected as refused:
            found.append(refused)
    return found
