"""Preference cookies remember a visitor's choices and hold no identity (CK-1)."""

import re

import pytest
from django.test import Client
from tests_paths import making

# Every test here, on each profile whose page promises it.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.promise("CK-1"),
    pytest.mark.usefixtures("profile"),
    pytest.mark.parametrize("profile", making("CK-1"), indirect=True),
]


def save(client, **choices):
    response = client.post("/preferences/", choices)
    assert response.status_code == 302
    return response.cookies.get("preferences")


def test_the_cookie_holds_only_the_choices_the_same_for_everyone():
    first, second = Client(), Client()
    one = save(first, text="large", theme="dark")
    two = save(second, text="large", theme="dark")
    assert one.value == two.value == "text-large.theme-dark"
    assert re.fullmatch(r"[a-z.-]+", one.value)
    assert one["max-age"] == 365 * 86400 and one["httponly"]


def test_the_choice_is_remembered_and_applied():
    client = Client()
    save(client, text="large", theme="light")
    page = client.get("/").content.decode()
    assert 'class="text-large theme-light"' in page


def test_a_tampered_cookie_is_ignored_not_echoed():
    client = Client()
    client.cookies["preferences"] = "text-large.user-ada@example.com.theme-neon"
    page = client.get("/").content.decode()
    assert "ada@example.com" not in page and "neon" not in page
    assert 'class="text-large theme-light"' in page


def test_choosing_the_defaults_removes_the_cookie():
    client = Client()
    save(client, text="large", theme="dark")
    gone = save(client, text="normal", theme="light")
    assert gone.value == "" and gone["max-age"] == 0


def test_unknown_values_are_refused():
    response = Client().post("/preferences/", {"text": "huge", "theme": "dark"})
    assert response.status_code == 200 and "preferences" not in response.cookies
