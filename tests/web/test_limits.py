"""Issue 30, item 4: the doors anyone may knock at are rate-limited, per client and per
the address a form mails, and a limited request gets the 429 page. 300 posts to
JAPOON's question form in 6 s sent 300 mails to one victim; /mail/join/ one per new
address, without limit."""

import time
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django_ratelimit import core as ratelimit_core
from factories import GRACE, PASSWORD
from tests_paths import use_profile

from hippocratic.messaging import sending
from hippocratic.site import limits

pytestmark = pytest.mark.django_db
PER_CLIENT = int(limits.PER_CLIENT.split("/")[0])
PER_TARGET = int(limits.PER_TARGET.split("/")[0])


@pytest.fixture(autouse=True)
def limits_on(settings, monkeypatch):
    """Limits on, counted from nothing, and the limiter's clock held: a limit's window
    ends at a moment of its own, and a slow run's posts across it would start the
    count again."""
    settings.RATELIMIT_ENABLE = True
    held = time.time()
    monkeypatch.setattr(ratelimit_core, "time", SimpleNamespace(time=lambda: held))
    cache.clear()
    yield
    cache.clear()


def posted(n: int, path: str, data, *, addresses=("192.0.2.1",)) -> list[int]:
    """n POSTs, from the addresses in turn; each one's status."""
    codes = []
    for i in range(n):
        client = Client(REMOTE_ADDR=addresses[i % len(addresses)])
        body = data(i) if callable(data) else data
        codes.append(client.post(path, body).status_code)
    return codes


def test_the_question_form_mails_one_victim_a_bounded_number_of_times(
    django_capture_on_commit_callbacks,
):
    with use_profile("japoon"):
        mail.outbox.clear()
        many = [f"198.51.100.{i}" for i in range(1, 60)]  # from many addresses
        with django_capture_on_commit_callbacks(execute=True):
            codes = posted(60, "/privacy/questions/",
                           {"email": "victim@example.org", "question": "Spam?"},
                           addresses=many)  # fmt: skip
        assert codes.count(200) == PER_TARGET and codes.count(429) == 60 - PER_TARGET
        page = Client(REMOTE_ADDR="203.0.113.9").post(
            "/privacy/questions/", {"email": "victim@example.org", "question": "Spam?"}
        )
        assert page.status_code == 429 and "Too many requests" in page.content.decode()
        assert page["Retry-After"] == "60"


def test_one_client_posting_many_addresses_is_limited():
    with use_profile("japoon"):
        codes = posted(PER_CLIENT + 5, "/privacy/questions/",
                       lambda i: {"email": f"someone{i}@example.org", "question": "?"})  # fmt: skip
        assert codes[:PER_CLIENT] == [200] * PER_CLIENT and set(codes[PER_CLIENT:]) == {429}
        # Another client is not held back by this one.
        other = Client(REMOTE_ADDR="192.0.2.77").post(
            "/privacy/questions/", {"email": "other@example.org", "question": "?"}
        )
        assert other.status_code == 200


def test_the_join_form_sends_a_bounded_number_of_confirmations(signed_up):
    with use_profile("ducallier"):
        codes = posted(PER_CLIENT + 3, "/mail/join/",
                       lambda i: {"name": "N", "email": f"new{i}@example.org"})  # fmt: skip
        if set(codes) == {404}:
            pytest.skip("this profile has no list for prospects")
        assert set(codes[PER_CLIENT:]) == {429}
        cache.clear()
        same = posted(PER_TARGET + 2, "/mail/join/", {"name": "N", "email": "v@example.org"},
                      addresses=[f"198.51.100.{i}" for i in range(1, 20)])  # fmt: skip
        assert same.count(429) == 2


@pytest.mark.parametrize("profile, path, data", [
    ("isp", "/report-harm/", lambda i: {"address": "a@b.example", "message_id": f"<{i}@x>",
                                        "reason": "phishing"}),
    ("isp", "/account/login/", lambda i: {"username": f"nobody{i}", "password": "x"}),
    ("ducallier", "/account/inquiry/", lambda i: {"name": "N", "email": f"i{i}@example.org"}),
    ("isp", "/account/sign-up/", lambda i: {"username": f"u{i}", "email": f"s{i}@example.org",
                                            "password1": "x", "password2": "x"}),
])  # fmt: skip
def test_each_anonymous_form_is_limited_per_client(profile, path, data):
    with use_profile(profile):
        codes = posted(PER_CLIENT + 2, path, data)
        if 404 in codes:
            pytest.skip(f"{path} is not offered under this profile")
        assert 429 not in codes[:PER_CLIENT] and codes[PER_CLIENT:] == [429, 429]


def test_one_click_unsubscribe_is_limited_per_client():
    with use_profile("ducallier"):
        path = f"/mail/unsubscribe/{sending.unsubscribe_token(1, 1)}/"
        codes = posted(PER_CLIENT + 1, path, {})
        assert codes[-1] == 429 and 429 not in codes[:PER_CLIENT]


def test_partner_shares_are_limited_per_client(signed_up, settings, tmp_path):
    from hippocratic.disclosure import partners

    with use_profile("quality"):
        signed_up()
        partner = partners.register(
            recipient="partners", name="Offers Ltd", agreement="Partner agreement 2026",
            ground="partner_offers", categories=["user.name"],
        )  # fmt: skip
        token = partners.issue_token(partner)
        api = Client(REMOTE_ADDR="192.0.2.5")
        codes = [api.get("/api/partner/share", HTTP_AUTHORIZATION=f"Bearer {token}").status_code
                 for _ in range(PER_CLIENT + 1)]  # fmt: skip
        assert 429 not in codes[:PER_CLIENT] and codes[-1] == 429


def test_posts_naming_no_address_share_no_bucket():
    """Issue 30's review: five anonymous posts without an address locked every
    signed-in customer (whose form has no address field) out for an hour."""
    with use_profile("japoon"):
        codes = posted(PER_TARGET + 3, "/privacy/questions/", {"email": "", "question": "?"},
                       addresses=[f"198.51.100.{i}" for i in range(1, 30)])  # fmt: skip
        assert 429 not in codes


def test_behind_our_proxy_each_client_is_its_own_address(settings):
    """Issue 30's review: behind the shipped proxy every request came from 127.0.0.1, so
    one client's posts limited everyone. With HIPPOCRATIC_CLIENT_IP_HEADER the limit
    (and the visitor log) take the address the proxy sets."""
    settings.CLIENT_IP_META_KEY = "HTTP_X_REAL_IP"
    with use_profile("japoon"):
        for i in range(PER_CLIENT + 2):
            Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.66").post(
                "/privacy/questions/", {"email": f"a{i}@example.org", "question": "?"}
            )
        other = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.77").post(
            "/privacy/questions/", {"email": "b@example.org", "question": "?"}
        )
        assert other.status_code == 200
        again = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.66").post(
            "/privacy/questions/", {"email": "c@example.org", "question": "?"}
        )
        assert again.status_code == 429
        garbage = Client(REMOTE_ADDR="127.0.0.2", HTTP_X_REAL_IP="not an address").post(
            "/privacy/questions/", {"email": "d@example.org", "question": "?"}
        )
        assert garbage.status_code == 200  # falls back to REMOTE_ADDR, never a 500


def test_sign_up_is_limited_per_client_behind_our_proxy_and_per_address(settings):
    """Issue 30: sign-up was the one anonymous form without a limit; each sign-up may
    mail the address it names (a confirmation), so it is limited per client (the
    address our proxy's header gives) and per address named, like the other forms."""
    settings.CLIENT_IP_META_KEY = "HTTP_X_REAL_IP"
    with use_profile("isp"):
        for i in range(PER_CLIENT):
            page = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.66").post(
                "/account/sign-up/", {"username": f"u{i}", "email": f"s{i}@example.org"}
            )
            assert page.status_code == 200  # the form again, with its errors
        again = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.66").post(
            "/account/sign-up/", {"username": "late", "email": "late@example.org"}
        )
        assert again.status_code == 429
        other = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.77").get(
            "/account/sign-up/"
        )
        assert other.status_code == 200  # reading the form is free
        codes = posted(PER_TARGET + 2, "/account/sign-up/",
                       lambda i: {"username": f"v{i}", "email": "victim@example.org"},
                       addresses=[f"198.51.100.{i}" for i in range(1, 20)])  # fmt: skip
        assert codes.count(429) == 2 and 429 not in codes[:PER_TARGET]


def test_the_password_asked_again_to_close_is_not_an_unlimited_guess(signed_up):
    """Whoever holds a customer's session could try passwords on /account/close/ without
    bound (30 wrong ones all answered; axes counts only the login form): now the page's
    posts are limited per login, and over the limit even the right password closes nothing."""
    client, _ = signed_up()
    codes = [client.post("/account/close/", {"password": f"guess {i}"}).status_code
             for i in range(PER_TARGET)]  # fmt: skip
    assert codes == [200] * PER_TARGET
    assert client.post("/account/close/", {"password": PASSWORD}).status_code == 429
    assert client.get("/account/").status_code == 200  # still open, still signed in
    # Another customer's count is their own.
    other, _ = signed_up("grace", GRACE)
    assert other.post("/account/close/", {"password": "guess"}).status_code == 200


def test_new_recovery_codes_are_not_an_unlimited_password_guess(signed_up):
    with use_profile("dracon"):
        client, _ = signed_up()
        codes = [client.post("/account/recovery-codes/", {"password": f"guess {i}"}).status_code
                 for i in range(PER_TARGET + 1)]  # fmt: skip
    assert codes == [200] * PER_TARGET + [429]
