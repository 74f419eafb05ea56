"""`hippocratic demo`: the staff login `make run` prints, on whichever database is configured."""

import datetime as dt
import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory, override_settings
from django_tasks_db.models import DBTaskResult
from factories import ADA, MATERIAL_PARTNER
from tests_paths import use_profile


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_demo_prints_a_staff_login_that_works():
    out = StringIO()
    call_command("demo", "--port", "8000", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/privacy/" in text
    username, password = re.search(r"Staff login:\s+(\S+) / (\S+)", text).groups()
    request = RequestFactory().post("/account/login/")
    user = authenticate(request, username=username, password=password)
    assert user is not None and user.is_staff


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_demo_twice_gives_a_new_password_and_one_user():
    first, second = StringIO(), StringIO()
    call_command("demo", stdout=first)
    call_command("demo", stdout=second)
    pattern = r"Staff login:\s+\S+ / (\S+)"
    assert re.search(pattern, first.getvalue())[1] != re.search(pattern, second.getvalue())[1]
    assert get_user_model().objects.filter(username="staff").count() == 1


@pytest.mark.django_db
def test_demo_refuses_without_debug():
    with pytest.raises(CommandError, match="only with DEBUG on"):
        call_command("demo", stdout=StringIO())
    assert not get_user_model().objects.filter(username="staff").exists()


@pytest.mark.django_db
def test_database_is_the_configured_one():
    """On CI's PostgreSQL leg this runs on PostgreSQL; elsewhere on SQLite."""
    import os

    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else ("sqlite")
    )
    assert connection.vendor == expected


@pytest.mark.promise("POL-3")
@pytest.mark.django_db
def test_demo_over_customers_schedules_a_material_change_with_notice(
    settings, tmp_path, signed_up, django_capture_on_commit_callbacks
):
    """`make run` with a changed policy file over a database with customers: the change
    waits the notice period the version in force promises, and customers are told; only
    where no customer exists may the demo publish at once."""
    from django.core import mail
    from django.utils import timezone
    from tests_paths import POLICIES

    from hippocratic.site.tasks import send_policy_notices
    from hippocratic.versions import publishing

    settings.DEBUG = True
    settings.HIPPOCRATIC_POLICY_VERSIONS = True
    path = tmp_path / "policy.yaml"
    original = (POLICIES / "ducallier.yaml").read_text()
    path.write_text(original)
    settings.HIPPOCRATIC_POLICY = str(path)
    call_command("demo", stdout=StringIO())  # no customer yet: in force at once
    assert publishing.in_force().number == 1
    signed_up("ada")
    # A material change: a new kind of recipient.
    path.write_text(
        original.replace(
            "recipients:\n",
            MATERIAL_PARTNER,
            1,
        )
    )
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", stdout=out)
    second = publishing.newest()
    assert second.number == 2 and second.material
    assert second.effective_at > timezone.now() + dt.timedelta(days=30)
    assert publishing.in_force().number == 1
    assert "takes effect" in out.getvalue()
    queued = DBTaskResult.objects.filter(task_path__endswith="send_policy_notices")
    assert queued.count() == 1  # the worker mails it; here it is run by hand
    assert send_policy_notices.call(second.pk) == 1
    assert [m.to for m in mail.outbox if "privacy policy" in m.subject] == [[ADA["email"]]]


@pytest.mark.django_db
@override_settings(DEBUG=True)
@pytest.mark.parametrize("name", ["ducallier", "japoon"])
def test_demo_names_the_mailboxes_only_where_the_policy_keeps_them(name):
    """Ducallier keeps no mailboxes: `make run` printed 'for <user name>@None'."""
    out = StringIO()
    with use_profile(name):
        call_command("demo", "--port", "8000", stdout=out)
    text = out.getvalue()
    assert "@None" not in text
    assert ("Mail received:" in text) is (name == "japoon")
    if name == "japoon":
        assert "<user name>@mail.japoon.example" in text
