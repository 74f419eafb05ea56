"""Fixtures for the tracking tests: a real DNS server on loopback, profiles, a
helper that scans every table for a value."""

import threading

import pytest
from django.core.cache import cache
from django.test import override_settings
from dnslib import PTR, QTYPE, RR
from dnslib.server import BaseResolver, DNSServer
from tests_paths import use_profile

from hippocratic.tracking.services import page_view_buffer

# Addresses in the documentation ranges (RFC 5737), with the PTR names our server gives.
PTR_NAMES = {
    "81.2.69.10": "dsl-192-0-2-10.pool.example-isp.co.uk.",
    "81.2.70.7": "host7.cable.example.net.",
}


class PtrResolver(BaseResolver):
    """Answers PTR queries from PTR_NAMES; NXDOMAIN otherwise. Counts queries, and
    can be held (to show that nothing waits for it)."""

    def __init__(self):
        self.queries: list[str] = []
        self.release = threading.Event()
        self.release.set()

    def resolve(self, request, handler):
        self.release.wait(5)
        name = str(request.q.qname)
        self.queries.append(name)
        reply = request.reply()
        for address, target in PTR_NAMES.items():
            if name == ".".join(reversed(address.split("."))) + ".in-addr.arpa.":
                reply.add_answer(RR(name, QTYPE.PTR, rdata=PTR(target), ttl=3600))
                return reply
        reply.header.rcode = 3  # NXDOMAIN
        return reply


@pytest.fixture
def dns_server():
    """A DNS server on 127.0.0.1 (a free UDP port), used as the site's resolver."""
    resolver = PtrResolver()
    server = DNSServer(resolver, address="127.0.0.1", port=0)
    server.start_thread()
    host, port = server.server.server_address
    cache.clear()
    with override_settings(
        HIPPOCRATIC_TRACKING={"dns_resolver": f"{host}:{port}", "dns_timeout": 2.0,
                              "flush_seconds": None, "buffer_size": 500}
    ):  # fmt: skip
        yield resolver
    resolver.release.set()
    server.stop()
    cache.clear()


@pytest.fixture(params=["dracon", "isp", "japoon", "quality", "ducallier"])
def any_profile(request):
    with use_profile(request.param):
        yield request.param


def flush() -> int:
    return page_view_buffer().flush()


PAGE_HEADERS = {
    "REMOTE_ADDR": "81.2.69.10",
    "HTTP_USER_AGENT": ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
    "HTTP_REFERER": "https://news.example.org/story/42?who=ada@example.com",
}
