"""A message's plain text, within bounds (issue 30, item 5): a stored message shown in
its mailbox, a mail to support kept on its request. No Django here.

The email package parses a MIME tree by recursion and RFC 2231 parameters in time that
grows faster than their number: 2,000 nested multiparts end in RecursionError after
seconds, and one Content-Type with 20,000 parameters takes minutes. So before any
parsing, one linear pass over the bytes counts what the parser would have to build:
parts (each needs a Content-Type line), containers (multipart/ and message/ parts,
which bound the nesting depth) and the parameters of every Content-Type and
Content-Disposition header. A message over a bound is not parsed at all: it is shown
as a plain download, with a note that says why.

    plain_text(raw) -> str          (TooComplex where it is over a bound)
"""

import email
import email.policy
import re

MAX_PARTS = 100  # Content-Type headers anywhere in the message
MAX_CONTAINERS = 20  # multipart/* and message/* parts: no deeper nesting than this
MAX_PARAMETERS = 40  # parameters of one Content-Type or Content-Disposition header

# A Content-Type or Content-Disposition header at the start of a line, with its folded
# continuation lines (the parser splits lines on CRLF, CR or LF alike).
_CONTENT = re.compile(
    rb"(?:\A|[\r\n])content-(type|disposition)[ \t]*:([^\r\n]*(?:(?:\r\n|\r|\n)[ \t][^\r\n]*)*)",
    re.IGNORECASE,
)
_CONTAINER = re.compile(rb"^\s*(?:multipart|message)\s*/", re.IGNORECASE)


class TooComplex(ValueError):
    """The message is over a bound of this module; the reason fits on one line."""


def check(raw: bytes) -> None:
    """TooComplex where showing `raw` would cost more than the bounds allow: one pass,
    linear in its length, and no parsing."""
    parts = containers = 0
    for found in _CONTENT.finditer(raw):
        value = found.group(2)
        if value.count(b";") > MAX_PARAMETERS:
            raise TooComplex(f"a header of it has more than {MAX_PARAMETERS} parameters")
        if found.group(1).lower() != b"type":
            continue
        parts += 1
        if parts > MAX_PARTS:
            raise TooComplex(f"it has more than {MAX_PARTS} parts")
        if _CONTAINER.match(value):
            containers += 1
            if containers > MAX_CONTAINERS:
                raise TooComplex(f"it nests parts more than {MAX_CONTAINERS} deep")


def plain_text(raw: bytes) -> str:
    """The message's text part ("" where it has none); TooComplex where it is over a
    bound. HTML is never rendered: it could load from elsewhere."""
    check(raw)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    try:
        body = message.get_body(preferencelist=("plain",))
        return body.get_content() if body is not None else ""
    except RecursionError:  # not reachable within the bounds; never a 500 if it were
        raise TooComplex("its parts nest too deep") from None
    except (LookupError, KeyError, ValueError, AttributeError, TypeError):
        return ""
