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
