"""Host names cut to the registrable domain, with the offline public suffix list.

`dsl-1-2-3.pool.example.co.uk` -> `example.co.uk`. An address literal, a bare
public suffix or a name under no known suffix has no registrable domain (None):
we would rather count a visitor under "unknown" than store something that
identifies a machine.
"""

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList


@lru_cache(maxsize=1)
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()


_IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")


def is_address(text: str) -> bool:
    if _IPV4.fullmatch(text):  # the common case, without ipaddress's cost (log imports)
        return True
    if ":" not in text:  # a host name never holds a colon; an IPv6 address always does
        return False
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


@lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str | None:
    host = host.strip().rstrip(".").lower()
    if not host or is_address(host):
        return None
    return _suffixes().privatesuffix(host, accept_unknown=False)


def own_names(hosts) -> frozenset[str]:
    """Our own host names and their registrable domains, for referrer_domain."""
    hosts = {h.strip().lstrip(".").lower() for h in hosts if h.strip() not in ("", "*")}
    return frozenset(hosts | {d for h in hosts if (d := registrable_domain(h))})


@lru_cache(maxsize=65536)
def referrer_domain(referrer: str, own: frozenset[str]) -> str | None:
    """The referring site's registrable domain; None for our own site (VIS-9).

    Only the domain survives: path, query and user names in the URL are dropped.
    `own` is what own_names() gives.
    """
    try:
        host = urlsplit(referrer).hostname
    except ValueError:
        return None
    if not host or host in own:
        return None
    domain = registrable_domain(host)
    if domain is None or domain in own:
        return None
    return domain
