"""Fixtures for the tracking tests: a real DNS server on loopback."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from dnslib.server import DNSServer
from factories import PtrResolver


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
