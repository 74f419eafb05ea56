"""Logging in and out of the secure area (SEC-1, SEC-3, SEC-4, CK-3, CK-4)."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import IntegrityError
from django.test import Client, override_settings
from tests_paths import making, use_profile

from hippocratic.accounts import throttling
from hippocratic.accounts.models import AccountSession, Customer, RememberToken
from hippocratic.enforcement.actors import Actor

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def ada():
    """A customer's login (the secure area is for customers)."""
    user = User.objects.create_user("ada", password=PASSWORD)
    Customer.objects.for_purpose(Actor.system("tests"), "essential.service").create(
        user=user, name="Ada Lovelace"
    )
    return user


def log_in(client, username="ada", password=PASSWORD, **extra):
    client.get("/account/login/")  # the test cookie, as a browser would get it
    return client.post("/account/login/", {"username": username, "password": password, **extra})


@pytest.mark.promise("SEC-1")
def test_passwords_are_stored_as_slow_salted_hashes():
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"]):
        one, two = make_password(PASSWORD), make_password(PASSWORD)
    assert one.startswith("argon2$argon2id$") and one != two and PASSWORD not in one
    from django.conf import settings

    from hippocratic import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.AUTH_PASSWORD_VALIDATORS


@pytest.mark.promise("SEC-1")
def test_user_names_are_unique(ada):
    with pytest.raises(IntegrityError):
        User.objects.create_user("ada", password="another one entirely")


@pytest.mark.promise("SEC-1", "VIS-4")
def test_login_is_throttled_after_five_failures(ada):
    client = Client()
    for _ in range(4):
        assert log_in(client, password="wrong").status_code == 200
    assert log_in(client, password="wrong").status_code == 429  # the fifth locks
    locked = log_in(client)  # even the right password, while locked
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get()
    assert attempt.ip_address is None  # no address kept
    # Only a keyed pseudonym of the user name: no browser, no form data (VIS-3, VIS-4).
    assert attempt.username == throttling.pseudonym_of("ada") and "ada" not in attempt.username
    assert (attempt.user_agent, attempt.http_accept, attempt.get_data, attempt.post_data) == (
        "", "", "", "")  # fmt: skip


@pytest.mark.promise("SEC-4")
def test_the_session_key_is_rotated_at_login(ada):
    client = Client()
    client.get("/account/login/")
    before = client.session.session_key
    assert log_in(client).status_code == 302
    after = client.session.session_key
    assert before and after and before != after
    assert not Session.objects.filter(session_key=before).exists()


@pytest.mark.promise("SEC-3")
@pytest.mark.parametrize("profile", making("SEC-3"), indirect=True)
def test_log_off_ends_the_session_on_the_server(ada, profile):
    client = Client()
    log_in(client)
    key = client.session.session_key
    assert client.get("/account/").status_code == 200
    client.post("/account/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    stolen = Client()
    stolen.cookies["sessionid"] = key  # replaying the old cookie gets nowhere
    assert stolen.get("/account/").status_code == 302


@pytest.mark.promise("SEC-3")
@pytest.mark.parametrize("profile", making("SEC-3"), indirect=True)
def test_log_out_of_all_sessions(ada, profile):
    laptop, phone, tablet = Client(), Client(), Client()
    for device in (laptop, phone, tablet):
        log_in(device)
    assert AccountSession.objects.filter(user=ada).count() == 3
    response = phone.post("/account/logout/everywhere/")
    assert "2 other sessions" in response.content.decode()
    for device in (laptop, phone, tablet):
        assert device.get("/account/").status_code == 302
    assert not Session.objects.exists() and not AccountSession.objects.exists()


@pytest.mark.promise("CK-3")
def test_a_browser_refusing_cookies_is_told_plainly(ada):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/account/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 403
    text = response.content.decode()
    assert "The secure area needs a cookie" in text and "Allow cookies" in text


@pytest.mark.promise("CK-3")
def test_the_session_cookie_is_only_signed_authentication(ada):
    client = Client()
    log_in(client)
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and "ada" not in cookie.value
    session = Session.objects.get(session_key=cookie.value).get_decoded()
    assert set(session) == {"_auth_user_id", "_auth_user_backend", "_auth_user_hash"}


@pytest.mark.promise("CK-4")
def test_remember_me_only_when_ticked(ada):
    with use_profile("ducallier"):
        plain = Client()
        log_in(plain)
        assert "remember_me" not in plain.cookies
        assert not RememberToken.objects.exists()
        ticked = Client()
        response = log_in(ticked, remember="on")
        cookie = response.cookies["remember_me"]
        assert cookie["max-age"] == 30 * 86400 and cookie["httponly"]
        # Encrypted, and what it holds names no one: the random selector of its token and
        # a random secret, nothing else (a search for "ada" in random text can match by
        # chance, so the plaintext's shape is checked instead).
        import re

        from hippocratic.accounts.remember import _fernet

        assert cookie.value.startswith("gAAAAA")  # a Fernet token
        plain = _fernet().decrypt(cookie.value.encode()).decode()
        assert re.fullmatch(r"[0-9a-f]{32}:[A-Za-z0-9_-]{43}", plain)
        assert plain.split(":")[0] == RememberToken.objects.get().selector


@pytest.mark.promise("CK-4")
def test_remember_me_signs_in_again_once_per_cookie(ada):
    with use_profile("ducallier"):
        client = Client()
        value = log_in(client, remember="on").cookies["remember_me"].value
        returning = Client()
        returning.cookies["remember_me"] = value
        response = returning.get("/account/")
        assert response.status_code == 200
        assert response.cookies["remember_me"].value not in ("", value)  # replaced
        replay = Client()
        replay.cookies["remember_me"] = value
        assert replay.get("/account/").status_code == 302  # used already
        forged = Client()
        forged.cookies["remember_me"] = "gAAAA" + "x" * 80
        assert forged.get("/account/").status_code == 302


@pytest.mark.promise("CK-4")
def test_no_remember_me_where_the_policy_has_none(ada):
    with use_profile("dracon"):
        page = Client().get("/account/login/").content.decode()
        assert "Remember me" not in page
        assert "remember_me" not in log_in(Client(), remember="on").cookies


def test_next_must_stay_on_our_site(ada):
    response = log_in(Client(), next="https://evil.example.com/")
    assert response["Location"] == "/account/"
