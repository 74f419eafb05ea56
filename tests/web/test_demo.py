"""`hippocratic demo`: the staff login `make run` prints, on whichever database is configured."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory, override_settings


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
