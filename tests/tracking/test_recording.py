"""Live page-view recording: only what the policy lists, no address, no cookie."""

import pytest
from factories import PAGE_HEADERS, flush
from scan import tables_holding
from tests_paths import making, use_profile

from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.decided import decided_elsewhere
from hippocratic.enforcement.gateway import AccessDenied
from hippocratic.enforcement.models import AuditEntry
from hippocratic.provider import current_policy
from hippocratic.tracking import event
from hippocratic.tracking.event import DropReason, RecordingRules
from hippocratic.tracking.models import DiagnosticAddress, PageView
from hippocratic.tracking.request import PageRequest
from hippocratic.tracking.services import purpose_of

ANALYST = Actor.system("tests")
pytestmark = pytest.mark.django_db


def views():
    return list(PageView.objects.for_purpose(ANALYST, purpose_of("path")))


@pytest.mark.promise("VIS-1")
def test_public_pages_need_no_login_and_set_no_cookie(profile, client, dns_server):
    for url in ("/", "/privacy/"):
        response = client.get(url, **PAGE_HEADERS)
        assert response.status_code == 200
        assert response.cookies == {}, f"{url} set {list(response.cookies)}"
    assert flush() == 2


@pytest.mark.promise("VIS-2", "VIS-3")
def test_dracon_stores_domain_time_and_path_only(client, dns_server):
    with use_profile("dracon"):
        client.get("/privacy/?q=secret-query", **PAGE_HEADERS)
        flush()
        (view,) = views()
        assert view.path == "/privacy/"
        assert view.isp_domain == "example-isp.co.uk"
        assert (view.browser_family, view.os_family, view.referrer_domain) == ("", "", "")
        for never in ("Firefox", "Linux", "example.org", "secret-query", "news."):
            assert tables_holding(never) == [], never


@pytest.mark.promise("VIS-2", "VIS-3")
@pytest.mark.parametrize("profile", making("VIS-2"), indirect=True)
def test_a_page_view_holds_only_what_the_policy_lists(client, dns_server, profile):
    """On each profile: the ISP's domain, the time and the page, and the browser, system
    and referring site only where the policy lists them; never the query, the full
    referrer or the user agent."""
    listed = {str(f) for f in current_policy().visitor_log.fields}
    client.get("/privacy/?q=secret-query", **PAGE_HEADERS)
    flush()
    (view,) = views()
    assert (view.path, view.isp_domain) == ("/privacy/", "example-isp.co.uk")
    assert view.time is not None
    kept = {"browser_family": view.browser_family, "os_family": view.os_family,
            "referrer_domain": view.referrer_domain}  # fmt: skip
    for field, value in kept.items():
        assert bool(value) == (field in listed), field
    for never in ("secret-query", "Mozilla/5.0", "news.example.org", "story/42"):
        assert tables_holding(never) == [], never


@pytest.mark.promise("VIS-3", "VIS-9")
def test_japoon_also_stores_browser_os_and_referring_domain_only(client, dns_server):
    with use_profile("japoon"):
        client.get("/", **PAGE_HEADERS)
        flush()
        (view,) = views()
        assert (view.browser_family, view.os_family) == ("Firefox", "Linux")
        assert view.referrer_domain == "example.org"
        for never in ("story/42", "ada@example.com", "news.example.org", "Mozilla/5.0"):
            assert tables_holding(never) == [], never


@pytest.mark.promise("VIS-9")
def test_a_referrer_from_our_own_site_is_not_kept(client, dns_server):
    with use_profile("japoon"):
        client.get("/", **{**PAGE_HEADERS, "HTTP_REFERER": "http://testserver/privacy/"})
        flush()
        assert views()[0].referrer_domain == ""


@pytest.mark.promise("VIS-4")
def test_no_full_address_anywhere_after_a_page_view(profile, client, dns_server):
    client.get("/", **PAGE_HEADERS)
    flush()
    holding = tables_holding(PAGE_HEADERS["REMOTE_ADDR"])
    if profile == "ducallier":  # VIS-11: its own table, for diagnostics only
        assert holding == ["tracking_diagnosticaddress.ip_address"]
    else:
        assert holding == []
    assert tables_holding("ada@example.com") == []


@pytest.mark.promise("VIS-11")
def test_diagnostic_addresses_only_for_diagnostics(client, dns_server):
    with use_profile("ducallier"):
        client.get("/", **PAGE_HEADERS)
        flush()
        operations = purpose_of("ip_address")
        assert operations == "essential.service.operations"
        rows = DiagnosticAddress.objects.for_purpose(ANALYST, operations)
        assert [r.ip_address for r in rows] == ["81.2.69.10"]
        analyst = Actor("staff.analytics", "user:9:ann")
        with pytest.raises(AccessDenied):
            list(DiagnosticAddress.objects.for_purpose(analyst, purpose_of("path")))


@pytest.mark.promise("VIS-11", "VIS-4")
def test_a_diagnostic_address_cannot_be_joined_to_the_page_views(client, dns_server):
    """Three visitors, five page views in an hour: the addresses kept for diagnostics
    share no id, key or time with the page views, so no join links an address to the
    pages it visited."""
    with use_profile("ducallier"):
        visits = ["81.2.69.10", "81.2.69.10", "81.2.69.20", "81.2.69.30", "81.2.69.10"]
        for address in visits:
            client.get("/", **{**PAGE_HEADERS, "REMOTE_ADDR": address})
        flush()
        with decided_elsewhere():  # an attacker with the database, not the gateway
            addresses = list(DiagnosticAddress.internal.values("id", "hour", "ip_address"))
            views = list(PageView.internal.values("id", "time"))
        assert len(views) == 5
        assert sorted(a["ip_address"] for a in addresses) == ["81.2.69.10", "81.2.69.20",
                                                               "81.2.69.30"]  # fmt: skip
        view_ids, view_times = {v["id"] for v in views}, {v["time"] for v in views}
        for row in addresses:
            assert not isinstance(row["id"], int) and str(row["id"]) not in map(str, view_ids)
            assert row["hour"] not in view_times
            assert (row["hour"].minute, row["hour"].second, row["hour"].microsecond) == (0, 0, 0)
        # Joined on the hour, each address matches every page view of that hour alike.
        by_hour = {}
        for v in views:
            hour = v["time"].replace(minute=0, second=0, microsecond=0)
            by_hour.setdefault(hour, []).append(v["id"])
        matches = {}
        for row in addresses:  # every address of an hour matches the same page views
            matches.setdefault(row["hour"], set()).add(tuple(by_hour.get(row["hour"], [])))
        assert all(len(found) == 1 for found in matches.values())


@pytest.mark.promise("VIS-5")
def test_visitor_data_is_read_only_for_traffic_analysis(client, dns_server):
    with use_profile("japoon"):
        client.get("/", **PAGE_HEADERS)
        flush()
        marketer = Actor("staff.marketing", "user:7:mark")
        for purpose in ("marketing.communications.email", "essential.service"):
            with pytest.raises(AccessDenied):
                list(PageView.objects.for_purpose(marketer, purpose))
        assert AuditEntry.objects.filter(allowed=False, subject="visitor").count() == 2


def test_resolution_never_blocks_the_response(client, dns_server):
    """The DNS is asked only when the buffer flushes, off the request path."""
    with use_profile("isp"):
        dns_server.release.clear()  # a resolver that would hang
        assert client.get("/", **PAGE_HEADERS).status_code == 200
        assert dns_server.queries == []
        dns_server.release.set()
        flush()
        assert len(dns_server.queries) == 1
        assert views()[0].isp_domain == "example-isp.co.uk"


def test_a_batch_is_one_insert_and_one_audit_entry(client, dns_server):
    with use_profile("isp"):
        before = AuditEntry.objects.count()
        for _ in range(5):
            client.get("/", **PAGE_HEADERS)
        flush()
        assert len(views()) == 5
        created = AuditEntry.objects.filter(action="create", subject="visitor")
        assert created.count() == 1 and created.get().rows == 5
        assert AuditEntry.objects.count() == before + 2  # the write, and our read


@pytest.mark.promise("VIS-6")
def test_bots_are_flagged_and_not_counted_as_visitors(client, dns_server):
    with use_profile("japoon"):
        bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
        client.get("/", **{**PAGE_HEADERS, "HTTP_USER_AGENT": bot})
        flush()
        (view,) = views()
        assert view.is_bot is True and view.visitor_digest == ""


def _request(**overrides) -> PageRequest:
    import datetime as dt

    values = {
        "time": dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC), "method": "GET", "path": "/",
        "status": 200, "content_type": "text/html; charset=utf-8", "address": "81.2.69.1",
        "user_agent": "", "referrer": "", "host": "testserver",
    }  # fmt: skip
    return PageRequest(**{**values, **overrides})


RULES = RecordingRules(frozenset({"isp_domain", "time", "path"}), False, False, frozenset())


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"method": "POST"}, DropReason.NOT_A_PAGE_METHOD),
        ({"status": 404}, DropReason.NOT_A_PAGE_STATUS),
        ({"status": 302}, DropReason.NOT_A_PAGE_STATUS),
        ({"content_type": "image/png"}, DropReason.NOT_A_PAGE_TYPE),
        ({"path": "/static/site/site.css"}, DropReason.EXCLUDED_PATH),
        ({"path": "/admin/"}, DropReason.EXCLUDED_PATH),
    ],
)
def test_each_drop_names_its_rule(overrides, reason):
    assert event.build(_request(**overrides), RULES) == event.Drop(reason)


def test_every_drop_reason_is_reachable():
    reachable = {
        DropReason.NOT_A_PAGE_METHOD, DropReason.NOT_A_PAGE_STATUS,
        DropReason.NOT_A_PAGE_TYPE, DropReason.EXCLUDED_PATH,
    }  # fmt: skip
    assert set(DropReason) == reachable


def test_a_path_with_nul_is_recorded_without_it_and_the_views_after_it_too(client, dns_server):
    """GET /account/recover/%00/%00/ (a page that answers 200) put a NUL in the buffered
    path; PostgreSQL refused the batch, which the buffer kept for the next flush, so every
    flush after it failed and no page view was written. The NUL is left out."""
    client.get("/account/recover/%00/%00/", **PAGE_HEADERS)
    client.get("/privacy/", **PAGE_HEADERS)
    assert flush() == 2
    paths = sorted(view.path for view in views())
    assert paths == ["/account/recover///", "/privacy/"]
