"""Unique visitors without identifiers, rollups, reports, exports and retention."""

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from factories import PAGE_HEADERS, flush, staff_user
from scan import tables_holding
from tests_paths import making, use_profile

from hippocratic.enforcement import retention
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.models import AuditEntry
from hippocratic.provider import current_policy
from hippocratic.tracking import services, visitors
from hippocratic.tracking.models import DailySalt, DailyStat, PageView
from hippocratic.tracking.services import purpose_of

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("tests")
FIREFOX = PAGE_HEADERS["HTTP_USER_AGENT"]


def visit(client, address="81.2.69.10", agent=FIREFOX, path="/", **extra):
    client.get(path, REMOTE_ADDR=address, HTTP_USER_AGENT=agent, **extra)


def total(day=None):
    day = day or timezone.localdate()
    return DailyStat.objects.get(day=day, dimension="total", value="")


@pytest.mark.promise("VIS-6")
@pytest.mark.parametrize("profile", making("VIS-6"), indirect=True)
def test_unique_visitors_are_counted_without_cookies(client, dns_server, profile):
    visit(client)
    visit(client, path="/privacy/")  # the same visitor again
    visit(client, address="81.2.70.7")  # another
    flush()
    services.rollup_day(timezone.localdate())
    assert (total().views, total().visitors) == (3, 2)
    assert not client.cookies
    assert DailyStat.objects.get(dimension="page", value="/").visitors == 2


@pytest.mark.promise("VIS-6")
def test_digests_differ_from_day_to_day():
    today = dt.date(2026, 11, 20)
    one = visitors.digest(day=today, address="81.2.69.1", user_agent="UA", site="s")
    again = visitors.digest(day=today, address="81.2.69.1", user_agent="UA", site="s")
    tomorrow = visitors.digest(
        day=today + dt.timedelta(days=1), address="81.2.69.1", user_agent="UA", site="s"
    )
    assert one == again and one != tomorrow and "81.2.69.1" not in one


@pytest.mark.promise("VIS-6")
@pytest.mark.parametrize("profile", making("VIS-6"), indirect=True)
def test_salts_and_digests_are_gone_after_48_hours(client, dns_server, profile):
    visit(client)
    visit(client, address="81.2.70.7")
    flush()
    day = timezone.localdate()
    services.rollup_day(day)
    assert services.forget_expired_salts(timezone.now() + dt.timedelta(hours=47)) == 0
    assert services.forget_expired_salts(timezone.now() + dt.timedelta(hours=49)) == 1
    assert not DailySalt.objects.exists()
    rows = PageView.objects.for_purpose(SYSTEM, purpose_of("path"))
    assert {r.visitor_digest for r in rows} == {""}
    services.rollup_day(day)  # a later recount keeps the day's visitors
    assert total(day).visitors == 2


def test_visitors_are_not_counted_where_the_policy_does_not(client, dns_server):
    with use_profile("dracon"):
        visit(client)
        flush()
        services.rollup_day(timezone.localdate())
        assert total().visitors is None
        assert PageView.objects.for_purpose(SYSTEM, purpose_of("path")).get().visitor_digest == ""
        assert not DailySalt.objects.exists()


@pytest.mark.promise("VIS-10")
@pytest.mark.parametrize("profile", making("VIS-10"), indirect=True)
def test_raw_views_are_purged_after_the_policy_period_and_rollups_stay(
    client, dns_server, monkeypatch, profile
):
    visit(client)
    flush()
    services.rollup_day(timezone.localdate())
    kept = {i.retention.days for k, i in current_policy().data_items()
            if k == "visitor" and i.retention and i.retention.days}  # fmt: skip
    assert kept, "the policy keeps visits for a period"
    soon = timezone.now() + dt.timedelta(days=min(kept) - 1)
    monkeypatch.setattr(retention, "_now", lambda: soon)
    retention.purge(for_real=True)  # not yet
    assert PageView.objects.for_purpose(SYSTEM, purpose_of("path")).exists()
    later = timezone.now() + dt.timedelta(days=max(kept) + 1)
    monkeypatch.setattr(retention, "_now", lambda: later)
    removals = retention.purge(for_real=True)
    assert ("PageView", "delete") in {(r.model, r.action) for r in removals}
    assert not PageView.objects.for_purpose(SYSTEM, purpose_of("path")).exists()
    assert total().views == 1
    assert tables_holding("81.2.69.10") == []


@pytest.mark.promise("VIS-11")
def test_diagnostic_addresses_have_their_own_short_retention(client, dns_server, monkeypatch):
    with use_profile("ducallier"):
        visit(client)
        flush()
        later = timezone.now() + dt.timedelta(days=8)
        monkeypatch.setattr(retention, "_now", lambda: later)
        retention.purge(for_real=True)
        assert tables_holding("81.2.69.10") == []
        assert PageView.objects.for_purpose(SYSTEM, purpose_of("path")).count() == 1


# --- the dashboard ------------------------------------------------------------------------


def test_dashboard_is_for_analytics_staff_only(client, dns_server, staff_client):
    with use_profile("japoon"):
        assert client.get("/staff/traffic/").status_code == 302  # to the login
        assert staff_client("staff.support").get("/staff/traffic/").status_code == 403
        client.force_login(User.objects.create_user("customer", password="x"))
        assert client.get("/staff/traffic/").status_code == 403
        assert client.get("/staff/traffic/export.csv").status_code == 403
        assert staff_client("staff.analytics").get("/staff/traffic/").status_code == 200


def test_dashboard_shows_series_and_tops_and_exports(client, dns_server, staff_client):
    with use_profile("japoon"):
        visit(client)
        visit(client, address="81.2.70.7", path="/privacy/")
        flush()
        services.rollup_day(timezone.localdate())
        client = staff_client("staff.analytics")
        page = client.get("/staff/traffic/").content.decode()
        assert "<polyline" in page and "example-isp.co.uk" in page and "/privacy/" in page
        assert "Firefox" in page
        rows = list(csv.DictReader(io.StringIO(client.get("/staff/traffic/export.csv").text)))
        assert {"day", "dimension", "value", "views", "visitors"} == set(rows[0])
        assert any(r["dimension"] == "total" and r["views"] == "2" for r in rows)
        data = json.loads(client.get("/staff/traffic/export.json").content)
        assert any(r["value"] == "example.net" for r in data)
        bad = client.get("/staff/traffic/?start=2026-12-01&end=2026-01-01")
        assert "after the end date" in bad.content.decode()


def test_the_traffic_chart_has_axes_dates_and_the_same_figures_as_a_table(
    client, dns_server, staff_client
):
    with use_profile("japoon"):
        visit(client)
        visit(client, address="81.2.70.7")
        flush()
        today = timezone.localdate()
        services.rollup_day(today)
        start = today - dt.timedelta(days=13)
        staff = staff_client("staff.analytics")
        page = staff.get(f"/staff/traffic/?start={start}&end={today}",
                         HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()  # fmt: skip
    figure = page[page.index('<figure class="chart">') : page.index("</figure>")]
    # A y-axis with whole-number ticks to the peak, an x-axis labelled with the first and
    # the last day in the visitor's locale's month-and-day style.
    ticks = re.findall(r'text-anchor="end" dominant-baseline="middle"[^>]*>(\d+)<', figure)
    assert ticks[0] == "0" and int(ticks[-1]) >= 2
    days = re.findall(r'font-size="12" fill="currentColor">([^<]*[A-Za-z][^<]*)<', figure)
    assert days[0] == f"{start.day} {start:%B}" and days[-1] == f"{today.day} {today:%B}"
    assert 3 <= len(days) <= 6
    assert "aria-labelledby" in figure and "The table below gives the same figures" in figure
    # The table: one row a day, today's two views and two visitors, in the locale's dates.
    rows = re.findall(r"<tr><td data-label=\"Day\">.*?</tr>", page)
    assert len(rows) == 14
    assert f"{today.day} {today:%B %Y}</time></td><td data-label=\"Page views\">2</td>" \
        f"<td data-label=\"Visitors\">2</td>" in rows[-1]  # fmt: skip


def test_dashboard_hides_what_the_policy_does_not_collect(client, dns_server, staff_client):
    with use_profile("dracon"):
        visit(client)
        flush()
        services.rollup_day(timezone.localdate())
        client = staff_client("staff.analytics")
        page = client.get("/staff/traffic/").content.decode()
        assert "Browsers" not in page and "Referring sites" not in page
        assert "Aggregates for third parties" not in page


# --- aggregates for third parties (VIS-7) --------------------------------------------------


def _many_visitors(client, n, path):
    for i in range(n):
        visit(client, address=f"81.2.71.{i + 1}", path=path)


@pytest.mark.promise("VIS-7")
@pytest.mark.parametrize("profile", ["japoon", "quality", "ducallier"], indirect=True)
def test_aggregates_fold_small_groups_and_are_audited(client, dns_server, staff_client, profile):
    _many_visitors(client, 12, "/")  # 12 distinct visitors: over k = 10
    _many_visitors(client, 3, "/privacy/")  # 3: would single people out
    flush()
    day = timezone.localdate()
    services.rollup_day(day)
    recipient = services.aggregate_recipients()[0]
    client = staff_client("staff.analytics")
    response = client.post(
        "/staff/traffic/disclose", {"recipient": recipient.key, "start": day, "end": day}
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    pages = {r["value"]: int(r["visitors"]) for r in rows if r["dimension"] == "page"}
    assert pages == {"/": 12}  # /privacy/ (3) is under k, and so is an "other" of 3
    assert all(int(r["visitors"]) >= 10 for r in rows)
    entry = AuditEntry.objects.get(action="disclose")
    assert entry.promise == "VIS-7" and entry.subject_ref == f"recipient:{recipient.key}"
    assert entry.rows == len(rows)


@pytest.mark.promise("VIS-7")
def test_no_aggregate_recipient_no_disclosure(client, dns_server, staff_client):
    with use_profile("dracon"):
        client = staff_client("staff.analytics")
        day = timezone.localdate()
        response = client.post(
            "/staff/traffic/disclose", {"recipient": "advertisers", "start": day, "end": day}
        )
        assert response.status_code == 400
        assert not AuditEntry.objects.filter(action="disclose").exists()


def test_disclosure_needs_csrf(dns_server):
    from django.test import Client

    with use_profile("japoon"):
        client = Client(enforce_csrf_checks=True)
        client.force_login(staff_user("staff.analytics"))
        response = client.post("/staff/traffic/disclose", {"recipient": "advertisers"})
        assert response.status_code == 403
