"""The visitor's ISP domain: reverse DNS (PTR) of the address, cut to the
registrable domain (VIS-2).

Answers are cached with the record's TTL (bounded), failures with a short
negative TTL, in Django's cache (shared through Redis in production). The
address never appears in clear, not even in a cache key (VIS-4): keys are a
keyed hash of it. Resolution runs off the request path (see buffer.py) with a
short timeout.
"""

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass

import dns.exception
import dns.resolver
import dns.reversename
from django.conf import settings
from django.core.cache import caches

from hippocratic.tracking.domains import registrable_domain

MISS = object()
_NEGATIVE = "-"


@dataclass(frozen=True)
class ResolverSettings:
    nameserver: str | None = None  # None: the system's resolvers (/etc/resolv.conf)
    port: int = 53
    timeout: float = 1.0
    min_ttl: int = 300
    max_ttl: int = 86400
    negative_ttl: int = 600
    cache: str = "default"

    @classmethod
    def from_settings(cls) -> "ResolverSettings":
        conf = getattr(settings, "HIPPOCRATIC_TRACKING", {})
        server = conf.get("dns_resolver") or None
        port = 53
        if server and server.count(":") == 1:  # host:port (an IPv6 literal has more colons)
            server, port_text = server.split(":")
            port = int(port_text)
        return cls(
            nameserver=server,
            port=port,
            timeout=float(conf.get("dns_timeout", cls.timeout)),
            min_ttl=int(conf.get("dns_min_ttl", cls.min_ttl)),
            max_ttl=int(conf.get("dns_max_ttl", cls.max_ttl)),
            negative_ttl=int(conf.get("dns_negative_ttl", cls.negative_ttl)),
            cache=conf.get("dns_cache", cls.cache),
        )


def _is_global(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False


class IspResolver:
    def __init__(self, conf: ResolverSettings | None = None):
        self.conf = conf or ResolverSettings.from_settings()
        if self.conf.nameserver:
            self._dns = dns.resolver.Resolver(configure=False)
            self._dns.nameservers = [self.conf.nameserver]
            self._dns.port = self.conf.port
        else:
            self._dns = dns.resolver.Resolver()
        self._dns.lifetime = self._dns.timeout = self.conf.timeout
        self._key = hashlib.sha256(b"hippocratic.tracking.resolver" + settings.SECRET_KEY.encode())
        self._key = self._key.digest()

    def _cache_key(self, address: str) -> str:
        return "isp:" + hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()[:40]

    def cached(self, address: str):
        """The cached answer: a domain, None (known to have none), or MISS."""
        value = caches[self.conf.cache].get(self._cache_key(address), MISS)
        if value is MISS:
            return MISS
        return None if value == _NEGATIVE else value

    def resolve(self, address: str) -> str | None:
        """The ISP domain of `address`, from the cache or the DNS; None if it has none.
        A loopback, private or reserved address is never looked up: no ISP owns it, and
        asking would tell the resolver who is on the provider's own network."""
        if not _is_global(address):
            return None
        found = self.cached(address)
        if found is not MISS:
            return found
        domain, ttl = self._lookup(address)
        caches[self.conf.cache].set(
            self._cache_key(address), domain or _NEGATIVE, ttl if domain else self.conf.negative_ttl
        )
        return domain

    def _lookup(self, address: str) -> tuple[str | None, int]:
        try:
            name = dns.reversename.from_address(address)
            answer = self._dns.resolve(name, "PTR")
        except (dns.exception.DNSException, ValueError, OSError):
            # NXDOMAIN, no answer, timeout, refused, a malformed address: no domain.
            return None, 0
        ttl = max(self.conf.min_ttl, min(self.conf.max_ttl, answer.rrset.ttl))
        for record in answer:
            domain = registrable_domain(record.target.to_text(omit_final_dot=True))
            if domain:
                return domain, ttl
        return None, 0
