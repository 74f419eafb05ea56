"""Issue 30, item 4: each anonymous row kind is bounded; identical submissions and
replays collapse into one row. An inquiry posted again was another prospect each time
(11 posts, 11 rows and 11 audit entries); a login name that is no one's, tried again,
stays one throttling row."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from tests_paths import PROFILES, use_profile

from hippocratic.accounts import services
from hippocratic.accounts.models import Prospect
from hippocratic.enforcement.decided import decided_elsewhere
from hippocratic.enforcement.models import AuditEntry

pytestmark = pytest.mark.django_db
INQUIRY = {"name": "Ana Núñez", "email": "ana@example.org"}


def prospects() -> list[dict]:
    with decided_elsewhere():  # the test's own look below the gateway
        return list(Prospect.objects.order_by("pk").values("email", "times", "fingerprint"))


def inquiring_profile() -> str:
    for name in PROFILES:
        with use_profile(name):
            if Client().get("/account/inquiry/").status_code == 200:
                return name
    pytest.skip("no profile takes inquiries")


def test_a_replayed_inquiry_is_one_row_counted():
    with use_profile(inquiring_profile()):
        client = Client()
        for _ in range(11):
            assert client.post("/account/inquiry/", INQUIRY).status_code == 200
        entries = AuditEntry.objects.count()
        # Spacing and case aside, the same inquiry.
        client.post("/account/inquiry/", {"name": " ana  NÚÑEZ ", "email": "ANA@example.org"})
        rows = prospects()
        assert len(rows) == 1 and rows[0]["times"] == 12
        assert AuditEntry.objects.count() == entries  # no entry of a row read or written
        assert "ana" not in rows[0]["fingerprint"] and len(rows[0]["fingerprint"]) == 32
        client.post("/account/inquiry/", {"name": "Ana Núñez", "email": "other@example.org"})
        assert [r["times"] for r in prospects()] == [12, 1]  # another inquiry, its own row


def test_the_same_inquiry_a_day_later_is_a_new_row():
    with use_profile(inquiring_profile()):
        assert services.prospect_inquire(INQUIRY) is True
        with decided_elsewhere():
            Prospect.objects.update(
                created_at=timezone.now() - services.INQUIRY_WINDOW - dt.timedelta(minutes=1)
            )
        assert services.prospect_inquire(INQUIRY) is True
        assert services.prospect_inquire(INQUIRY) is False
        assert [r["times"] for r in prospects()] == [1, 2]


def test_an_unknown_login_name_tried_again_is_one_row_and_expires(settings):
    with use_profile("isp"):
        client = Client()
        client.get("/account/login/")
        for _ in range(12):
            client.post("/account/login/", {"username": "nobody", "password": "x"})
        assert AccessAttempt.objects.count() == 1
        assert AccessAttempt.objects.get().failures_since_start >= 5
        for i in range(3):
            client.post("/account/login/", {"username": f"someone{i}", "password": "x"})
        assert AccessAttempt.objects.count() == 4
        # Past the cool-off every row goes: the next failure cleans them up (axes).
        AccessAttempt.objects.update(
            attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - dt.timedelta(minutes=1)
        )
        client.post("/account/login/", {"username": "later", "password": "x"})
        assert AccessAttempt.objects.count() == 1
