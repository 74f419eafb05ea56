"""The real resolver code against a DNS server on loopback (dnslib)."""

import socket

import pytest
from django.core.cache import cache
from django.test import override_settings

from hippocratic.tracking.domains import referrer_domain, registrable_domain
from hippocratic.tracking.resolver import IspResolver, ResolverSettings


@pytest.mark.promise("VIS-2")
def test_ptr_name_is_cut_to_the_registrable_domain(dns_server):
    isp = IspResolver()
    assert isp.resolve("81.2.69.10") == "example-isp.co.uk"
    assert isp.resolve("81.2.70.7") == "example.net"
    assert len(dns_server.queries) == 2


def test_answers_are_cached_and_failures_cached_negatively(dns_server):
    isp = IspResolver()
    assert isp.resolve("81.2.69.10") == "example-isp.co.uk"
    assert isp.resolve("81.2.71.99") is None  # NXDOMAIN
    asked = len(dns_server.queries)
    assert isp.resolve("81.2.69.10") == "example-isp.co.uk"
    assert isp.resolve("81.2.71.99") is None
    assert len(dns_server.queries) == asked


@pytest.mark.promise("VIS-4")
def test_the_cache_never_holds_the_address_in_clear(dns_server):
    isp = IspResolver()
    isp.resolve("81.2.69.10")
    isp.resolve("81.2.71.99")
    keys = list(cache._cache.keys())  # LocMemCache
    assert keys and not any("81.2.69" in k or "81.2.71" in k for k in keys)
    values = [str(v) for v in cache._cache.values()]
    assert not any("81.2.69" in v for v in values)


def test_a_silent_server_times_out_to_no_domain():
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    host, port = silent.getsockname()
    try:
        conf = ResolverSettings(nameserver=host, port=port, timeout=0.2)
        assert IspResolver(conf).resolve("81.2.69.10") is None
    finally:
        silent.close()


def test_resolver_address_comes_from_settings():
    with override_settings(HIPPOCRATIC_TRACKING={"dns_resolver": "127.0.0.1:5353"}):
        conf = ResolverSettings.from_settings()
    assert (conf.nameserver, conf.port) == ("127.0.0.1", 5353)


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("dsl-1-2-3.pool.example.co.uk", "example.co.uk"),
        ("HOST.Comcast.NET.", "comcast.net"),
        ("a.b.blogspot.com", "b.blogspot.com"),  # a private suffix
        ("co.uk", None),
        ("localhost", None),
        ("81.2.69.10", None),
        ("2001:db8::1", None),
    ],
)
def test_registrable_domain(host, domain):
    assert registrable_domain(host) == domain


@pytest.mark.promise("VIS-9")
def test_referrer_keeps_only_another_sites_domain():
    own = frozenset({"www.ducallier.com", "ducallier.com"})
    assert referrer_domain("https://user:pw@news.example.org/a?b=c#d", own) == "example.org"
    assert referrer_domain("https://shop.ducallier.com/cart", own) is None
    assert referrer_domain("not a url", own) is None
    assert referrer_domain("https://[::1/", own) is None


@pytest.mark.promise("VIS-4")
@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.1.2.3", "192.168.1.20", "172.16.0.9", "192.0.2.10", "::1",
                "fd00::1", "169.254.1.1", "not an address"],
)  # fmt: skip
def test_a_non_global_address_is_never_looked_up(dns_server, address):
    """No ISP owns it, and the query would tell the resolver about the provider's network."""
    assert IspResolver().resolve(address) is None
    assert dns_server.queries == []
