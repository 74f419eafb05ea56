"""The staff home: each role sees the areas it may work in, with counts of what needs
attention; nothing personal is on the page."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from factories import ADA
from tests_paths import use_profile

from hippocratic.communications.models import HarmReport
from hippocratic.enforcement.actors import Actor
from hippocratic.jobs import heartbeat
from hippocratic.jobs.models import WorkerHeartbeat
from hippocratic.requests import ledger
from hippocratic.requests.models import Request

pytestmark = pytest.mark.django_db


def titles(page: str) -> set[str]:
    areas = ("Requests", "Access to contents", "Disclosures", "Billing", "Mail to customers",
             "Traffic", "Audit log")  # fmt: skip
    return {a for a in areas if f">{a}</a>" in page}


def test_each_role_sees_its_areas_with_counts(signed_up, staff_client):
    with use_profile("isp"):
        _, me = signed_up("ada", ADA)
        system = Actor.system("tests")
        for due in (dt.timedelta(days=-1), dt.timedelta(days=5)):
            ledger.open_request(kind=Request.Kind.SUPPORT, channel=Request.Channel.EMAIL,
                                by=system, customer_id=me, sender="ada@x.example",
                                received=timezone.now() + due - dt.timedelta(days=30))  # fmt: skip
        HarmReport.objects.create(customer_id=me, message_id=1, by_owner=True, reason="spam")
        support = staff_client("staff.support").get("/staff/").content.decode()
        assert titles(support) == {"Requests", "Access to contents", "Mail to customers"}
        assert "<strong>2</strong> · 1 overdue" in support
        assert "<strong>1</strong>" in support  # one harm report open
        assert ADA["name"] not in support and ADA["email"] not in support
        assert titles(staff_client("staff.legal").get("/staff/").content.decode()) == {
            "Access to contents",
            "Disclosures",
        }
        assert titles(staff_client("staff.billing").get("/staff/").content.decode()) == {"Billing"}
        assert titles(staff_client("staff.analytics").get("/staff/").content.decode()) == {
            "Traffic"
        }
        assert len(titles(staff_client("staff.admin").get("/staff/").content.decode())) == 7
        assert Client().get("/staff/").status_code == 302  # to the staff login


def test_the_admin_sees_the_workers_and_the_jobs_state(staff_client):
    admin = staff_client("staff.admin")
    page = admin.get("/staff/").content.decode()
    assert ">Background work</a>" in page and "no worker has run" in page
    assert "worker: none has ever run" in page  # the problem /healthz would answer 503 for
    heartbeat.beat()
    page = admin.get("/staff/").content.decode()
    assert "worker seen 0 s ago" in page and "task(s) waiting" in page
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - dt.timedelta(minutes=10))
    assert "worker: last seen 600 s ago" in admin.get("/staff/").content.decode()
    assert (
        ">Background work</a>" not in staff_client("staff.support").get("/staff/").content.decode()
    )
