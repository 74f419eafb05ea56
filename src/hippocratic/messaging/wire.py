"""A campaign message as the bytes SMTP carries, written directly.

Django's EmailMessage builds a MIME tree with the email package's header registry and
folds every header through its parser: about 2.5 ms a message, twice what handing the
message to the server costs. A campaign's messages are one plain-text part with known
headers, so they are written here in a few microseconds; the result is what Django
would send, parsed back header for header and body for body (a test holds them equal).

    wire_bytes(message) -> bytes, or None where the message needs Django's general
    path (an address that is not plain ASCII, an attachment, an alternative part).
    hand_over(smtp, sender, recipient, data): one SMTP transaction for those bytes.
"""

import quopri
import re
import smtplib
from collections.abc import Callable, Iterable
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from functools import lru_cache

from django.core.mail import EmailMessage

MAX_LINE = 998  # RFC 5322's limit for a line, without CRLF
_CONTENT_TYPE = b'Content-Type: text/plain; charset="utf-8"\r\n'


@lru_cache(maxsize=1024)
def _header_value(value: str) -> str:
    """ASCII as it is; anything else as RFC 2047 encoded words (a subject with é)."""
    if "\r" in value or "\n" in value:
        raise ValueError("a header value holds a line break")  # header injection
    if value.isascii():
        return value
    return Header(value, "utf-8", maxlinelen=76).encode(linesep="\r\n ")


# Headers that hold addresses: a display name is encoded apart from the address in
# them (RFC 2047 section 5: an encoded word is never an addr-spec), not the whole value.
_ADDRESS_HEADERS = frozenset({"from", "reply-to", "sender"})


@lru_cache(maxsize=1024)
def _address_value(value: str) -> str | None:
    """`Name <address>` with a name that is not ASCII as encoded words and the address
    left plain; None where the address itself is not plain ASCII (Django's path)."""
    if "\r" in value or "\n" in value:
        raise ValueError("a header value holds a line break")  # header injection
    if value.isascii():
        return value
    name, address = parseaddr(value)
    if not address or not address.isascii():
        return None
    return formataddr((name, address), charset="utf-8")


def _body(text: str) -> tuple[bytes, bytes]:
    """(Content-Transfer-Encoding, encoded body with CRLF line ends)."""
    lines = text.replace("\r\n", "\n").split("\n")
    if text.isascii() and all(len(line) <= MAX_LINE for line in lines):
        return b"7bit", "\r\n".join(lines).encode("ascii")
    encoded = quopri.encodestring("\n".join(lines).encode("utf-8"))
    return b"quoted-printable", encoded.replace(b"\n", b"\r\n")


def wire_bytes(message: EmailMessage) -> bytes | None:
    if message.attachments or getattr(message, "alternatives", None):
        return None
    if message.content_subtype != "plain" or len(message.to) != 1 or message.cc or message.bcc:
        return None
    to = message.to[0]
    if not to.isascii() or "\r" in to or "\n" in to:
        return None
    extra = dict(message.extra_headers)
    sender = _address_value(extra.pop("From", message.from_email))
    addresses = {n: _address_value(v) for n, v in extra.items() if n.lower() in _ADDRESS_HEADERS}
    if sender is None or None in addresses.values():
        return None
    extra.update(addresses)
    head = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {_header_value(message.subject)}",
        f"Date: {extra.pop('Date', None) or formatdate(localtime=False)}",
        f"Message-ID: {_header_value(extra.pop('Message-ID'))}",
    ]
    head += [
        f"{name}: {value if name in addresses else _header_value(value)}"
        for name, value in extra.items()
    ]
    encoding, body = _body(message.body)
    return (
        "\r\n".join(head).encode("ascii") + b"\r\nMIME-Version: 1.0\r\n" + _CONTENT_TYPE
        + b"Content-Transfer-Encoding: " + encoding + b"\r\n\r\n" + body
        + (b"" if body.endswith(b"\r\n") else b"\r\n")
    )  # fmt: skip


# What a campaign's envelope addresses are: plain ASCII, nothing that could end or
# bend an SMTP command (no spaces, angle brackets or line breaks).
_PLAIN_ADDRESS = re.compile(r"[!#-;=?A-~]{1,64}@[A-Za-z0-9.-]{1,253}")


def hand_over(
    smtp: smtplib.SMTP,
    sender: str,
    recipient: str,
    data: bytes,
    meanwhile: Iterable[Callable[[], None]] = (),
) -> None:
    """smtplib's sendmail for one plain address: MAIL, RCPT and DATA, without its
    parsing of each address through the email package (a third of the client's time
    per message). The steps of `meanwhile` run one in each wait for the server's answer
    (the sender writes its next message there, instead of idling). Anything but a plain
    address goes through sendmail itself. Raises what sendmail raises."""
    if not (_PLAIN_ADDRESS.fullmatch(sender) and _PLAIN_ADDRESS.fullmatch(recipient)):
        smtp.sendmail(sender, [recipient], data)
        return
    steps = iter(meanwhile)
    smtp.ehlo_or_helo_if_needed()
    size = f" SIZE={len(data)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
    code, answer = _command(smtp, "MAIL", f"FROM:<{sender}>{size}", steps)
    if code != 250:
        _reset(smtp, code)
        raise smtplib.SMTPSenderRefused(code, answer, sender)
    code, answer = _command(smtp, "RCPT", f"TO:<{recipient}>", steps)
    if code not in (250, 251):
        _reset(smtp, code)
        raise smtplib.SMTPRecipientsRefused({recipient: (code, answer)})
    code, answer = _command(smtp, "DATA", "", steps)
    if code != 354:
        _reset(smtp, code)
        raise smtplib.SMTPDataError(code, answer)
    # RFC 5321's dot-stuffing, and the end of data, as smtplib's data() writes them.
    ending = b"" if data.endswith(b"\r\n") else b"\r\n"
    smtp.send(_LEADING_DOT.sub(b"..", data) + ending + b".\r\n")
    for step in steps:  # what is left, while the server takes the message in
        step()
    code, answer = smtp.getreply()
    if code != 250:
        _reset(smtp, code)
        raise smtplib.SMTPDataError(code, answer)


def _command(smtp: smtplib.SMTP, name: str, argument: str, steps) -> tuple[int, bytes]:
    """docmd, with one of `steps` run between the command and its answer."""
    smtp.putcmd(name, argument)
    if (step := next(steps, None)) is not None:
        step()
    return smtp.getreply()


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _reset(smtp: smtplib.SMTP, code: int) -> None:
    """As sendmail does: a 421 closes the connection, anything else resets the
    transaction."""
    if code == 421:
        smtp.close()
    else:
        smtp._rset()
