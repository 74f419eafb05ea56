"""Mail headers as people wrote them: shared by the mail that comes in
(messaging.inbound) and the mailboxes that keep it (communications.mailbox).
Pure: the standard library's email package, no Django."""

from email.header import decode_header, make_header


def decoded_header(value: str) -> str:
    """A header's RFC 2047 encoded words decoded; as it came where they are broken."""
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, UnicodeDecodeError, ValueError):
        return value
