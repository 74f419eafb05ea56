"""A message's bytes, read: its headers only (the body is never kept), and the
recipients it came to. MailRejected where it cannot be read."""

import email.policy
import hashlib
from dataclasses import dataclass
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from hippocratic.mailheaders import decoded_header
from hippocratic.messaging.inbound.outcomes import MailRejected

MAX_BYTES = 10 * 1024 * 1024
_HEADERS = BytesParser(policy=email.policy.compat32)


@dataclass(frozen=True)
class Message:
    """A message as it came, and what its headers and envelope say."""

    raw: bytes
    subject: str
    sender: str  # the From: address, lower-cased
    key: str  # a hash of its sender and Message-ID, or of its bytes where it has none
    message_id: str  # its Message-ID header as it came (a mailbox finds it by this)
    to: tuple[str, ...]  # lower-cased: the envelope's recipients, else the To: header's


def read(raw: bytes, recipients) -> Message:
    if len(raw) > MAX_BYTES:
        raise MailRejected(f"message is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    if b"\x00" in raw[:65536]:
        raise MailRejected("message holds binary data, not mail")
    try:
        # Headers only, without the header registry's parsing of every header: the
        # subject's encoded words are decoded here.
        headers = _HEADERS.parsebytes(raw, headersonly=True)
        subject = decoded_header(str(headers.get("Subject", "") or ""))
        sender = parseaddr(str(headers.get("From", "") or "")[:998])[1].strip().lower()
        message_id = str(headers.get("Message-ID", "") or "").strip()[:998]
        header_to = [a.lower() for _, a in getaddresses([str(headers.get("To", "") or "")])]
    except Exception as error:  # the email package's many header errors
        raise MailRejected(f"unreadable headers: {type(error).__name__}") from None
    if not sender or "@" not in sender or len(sender) > 254 or "\x00" in sender:
        raise MailRejected("no sender address in From:")
    # A retry of the same message has the same key (so it is acted on once); two
    # messages that share a Message-ID but not a sender, or differ past any length, do not.
    if message_id:
        key = (
            "mid:" + hashlib.sha256(f"{sender}\n{message_id}".encode(errors="replace")).hexdigest()
        )
    else:
        key = "sha256:" + hashlib.sha256(raw).hexdigest()
    to = tuple(a.lower() for a in recipients) or tuple(header_to)
    return Message(raw, subject[:998], sender, key, message_id or key, to)
