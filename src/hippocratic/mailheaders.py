"""Mail headers as people wrote them: shared by the mail that comes in
(messaging.inbound) and the mailboxes that keep it (communications.mailbox).
Pure: the standard library's email package, no Django."""

from email.errors import HeaderParseError
from email.header import decode_header, make_header

# RFC 5322 allows a header line of 998 characters; a folded header may run longer, but
# none that people read needs more than this. Decoding takes time that grows with the
# square of the length (make_header), so what is longer is cut before it is decoded.
MAX_DECODED = 8 * 998


def decoded_header(value: str) -> str:
    """A header's RFC 2047 encoded words decoded; as it came where they are broken.
    No NUL byte survives (no database keeps one in text)."""
    value = value[:MAX_DECODED]
    try:
        decoded = str(make_header(decode_header(value)))
    except (HeaderParseError, LookupError, UnicodeDecodeError, ValueError):
        decoded = value
    return decoded.replace("\x00", "")
