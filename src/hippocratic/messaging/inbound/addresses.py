"""Our per-recipient addresses, made for each marketing message (messaging.sending)
and read back when mail comes to them:

    reply+<who>-<campaign>-<signature>@<support's domain>    its Reply-To (MSG-4)
    bounce+<who>-<campaign>-<signature>@<support's domain>   its envelope sender

<who> is a customer's number, or "p" and a prospect's; the signature is
tokens.mail_address's 16 hex digits (a local part has room for no more). And the
subject line that asks to leave the list."""

import re

from hippocratic.enforcement import tokens
from hippocratic.provider import current_policy

REMOVE = "remove from mailing list"
_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|sv|tr)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
# Quotes of every kind (curly ones by code point), brackets, emphasis marks.
_NOISE = re.compile("[\"'\u201c\u201d\u2018\u2019\u00ab\u00bb\\[\\]()<>*_]+")
_TOKEN = re.compile(r"^(reply|bounce)\+(p?\d+)-(\d+)-([0-9a-f]{16})@", re.IGNORECASE)


def asks_removal(subject: str) -> bool:
    """Whether a subject line asks to be removed from the mailing list (any case,
    Re:/Fwd:, quotes, spaces)."""
    text = _NOISE.sub(" ", _PREFIX.sub("", subject or ""))
    return REMOVE in " ".join(text.split()).casefold()


def reply_address(customer_id: int | str, campaign_id: int, kind: str = "reply") -> str | None:
    """A per-recipient address of a message: its Reply-To ("reply": a reply opts them
    out, MSG-4) or its envelope sender ("bounce": where the bounce comes back)."""
    contact = current_policy().provider.contacts.support
    if not contact.email:
        return None
    sig = tokens.mail_address.digest(f"{kind}.{customer_id}.{campaign_id}")
    return f"{kind}+{customer_id}-{campaign_id}-{sig}@{contact.email.rsplit('@', 1)[1]}"


def signed_recipient(addresses, kind: str) -> str | None:
    """Whom the first signed `kind`+ address ("reply", "bounce") among `addresses`
    names: "12" (a customer) or "p7" (a prospect on the list); None if none is ours."""
    return next((who for a in addresses if (who := _recipient(a, kind))), None)


def _recipient(address: str, kind: str) -> str | None:
    found = _TOKEN.match(address)
    if not found or found.group(1).lower() != kind:
        return None
    _, who, campaign_id, sig = found.groups()
    who = who.lower()
    signed = tokens.mail_address.check_digest(f"{kind}.{who}.{campaign_id}", sig.lower())
    return who if signed else None
