"""A message's bytes, read: its headers only (the body is never kept), and the
recipients it came to. MailRejected where it cannot be read."""

import email.policy
import hashlib
from dataclasses import dataclass
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from hippocratic.mailheaders import decoded_header
from hippocratic.messaging.inbound.outcomes import MailRejected
from hippocratic.messaging.inbound.proof import proves_sender

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
    automatic: str = ""  # why it was sent by a program (RFC 3834), never to be answered
    proven: bool = False  # our MTA recorded a DKIM/SPF pass for its From: domain (proof)


_BULK = {"bulk", "list", "junk"}
_DAEMONS = {"mailer-daemon", "postmaster-daemon"}


def automatic(headers, sender: str) -> str:
    """Why a message was sent by a program and must not be answered, or "": any
    `Auto-Submitted` but "no" (RFC 3834), `Precedence: bulk/list/junk`, a delivery
    report (multipart/report) or one from a mailer daemon, a null Return-Path."""
    auto = str(headers.get("Auto-Submitted", "") or "").split(";")[0].split("(")[0]
    if auto.strip().lower() not in ("", "no"):
        return f"Auto-Submitted: {auto.strip().lower()[:40]}"
    precedence = str(headers.get("Precedence", "") or "").strip().lower()
    if precedence in _BULK:
        return f"Precedence: {precedence}"
    if str(headers.get("Content-Type", "") or "").strip().lower().startswith("multipart/report"):
        return "a delivery report"
    if sender.split("@", 1)[0] in _DAEMONS:
        return "from a mailer daemon"
    if str(headers.get("Return-Path", "x") or "x").strip() == "<>":
        return "a null Return-Path (a bounce)"
    return ""


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
        why_automatic = automatic(headers, sender)
        proven = proves_sender(headers, sender) if sender else False
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
    return Message(raw, subject[:998], sender, key, message_id or key, to, why_automatic, proven)
