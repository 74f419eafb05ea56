"""Whether a message proves who sent it (issue 30, item 10): the receiving MTA checked
its DKIM signature or its SPF record and recorded a pass for the From: domain in an
`Authentication-Results` header (RFC 8601) under our own authserv-id.

Only headers naming our authserv-id count (HIPPOCRATIC_AUTHSERV_ID; by default the
policy's mailbox domain, else the unsubscribe address's domain): the MTA removes any
that came in claiming it (RFC 8601 section 5; OpenDKIM, OpenDMARC and rspamd do), so
one a sender wrote names someone else's and is passed over. The `authres` library
parses them (comments, quoting, properties).

    proves_sender(headers, sender) -> bool
"""

import authres
from django.conf import settings

from hippocratic.provider import current_policy

MAX_HEADERS = 10  # Authentication-Results headers read, from the top
MAX_LENGTH = 4000  # characters of each


def authserv_id() -> str:
    """The authserv-id whose results we trust."""
    if settings.HIPPOCRATIC_AUTHSERV_ID:
        return settings.HIPPOCRATIC_AUTHSERV_ID
    policy = current_policy()
    if policy.communications is not None and policy.communications.mailbox_domain:
        return policy.communications.mailbox_domain.lower()
    contact = policy.provider.contacts.unsubscribe or policy.provider.contacts.support
    return contact.email.rsplit("@", 1)[-1].lower() if contact and contact.email else ""


def _aligned(domain: str, sender_domain: str) -> bool:
    """The From: domain is the authenticated one, or below it (DMARC's relaxed rule)."""
    domain = domain.strip().lower().lstrip("@").rstrip(".")
    return bool(domain) and (sender_domain == domain or sender_domain.endswith("." + domain))


def _passes(result, sender_domain: str) -> bool:
    if str(result.result).lower() != "pass":
        return False
    values = {(p.type.lower(), p.name.lower()): str(p.value) for p in result.properties}
    method = str(result.method).lower()
    if method == "dkim":
        return _aligned(values.get(("header", "d"), ""), sender_domain)
    if method == "spf":
        mailfrom = values.get(("smtp", "mailfrom"), "")
        return _aligned(mailfrom.rsplit("@", 1)[-1], sender_domain)
    if method == "dmarc":
        return _aligned(values.get(("header", "from"), ""), sender_domain)
    return False


def proves_sender(headers, sender: str) -> bool:
    """Whether one of our MTA's Authentication-Results passes DKIM, SPF or DMARC for the
    domain of `sender` (the From: address)."""
    ours = authserv_id()
    sender_domain = sender.rsplit("@", 1)[-1].lower()
    if not ours or not sender_domain:
        return False
    for value in (headers.get_all("Authentication-Results") or [])[:MAX_HEADERS]:
        text = " ".join(str(value)[:MAX_LENGTH].split())
        try:
            found = authres.AuthenticationResultsHeader.parse_value(text)
        except Exception:  # noqa: S112 (authres.AuthResError, or what a hostile header raises)
            continue  # unreadable: it proves nothing
        if str(found.authserv_id).lower() != ours:
            continue
        if any(_passes(result, sender_domain) for result in found.results):
            return True
    return False
