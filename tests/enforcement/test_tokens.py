"""The one tokens module (enforcement.tokens): every use's tokens are byte for byte what
the code before it made, so links, cookies and reply addresses already sent out keep
working; each use has its own salt; a rotated key keeps old tokens good while it is a
fallback, as Django's own tokens do."""

import hashlib
import hmac
from unittest import mock

import pytest
from django.core import signing
from django.test import override_settings
from django.utils.crypto import salted_hmac
from tests_paths import use_profile

from hippocratic.accounts import services as account_services
from hippocratic.accounts import throttling
from hippocratic.enforcement import tokens
from hippocratic.enforcement.tokens import Tokens
from hippocratic.messaging import inbound, sending, services, suppression
from hippocratic.messaging.models import Suppression
from hippocratic.requests import identity

NOW = 1_790_000_000  # the clock the timestamped tokens are made at
SECRET = "a-secret-key-for-these-tests-only-0123456789abcdefghijklmnop"


def _hmac_hex(salt: str, message: str, secret: str) -> str:
    """What inbound's _signature and suppression's digest computed, inline."""
    key = hashlib.sha256((salt + secret).encode()).digest()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


BIG_FORM = {"name": "Ada Lovelace", "address": "12 St James's Square, London " * 20}

# Each use: (what the tokens module makes now, what the code before it made), for the
# same input; the old formulas are copied from the code as it was.
PINNED = {
    "affiliate_cookie": [
        (lambda: tokens.affiliate_cookie.make("ACME-7"),
         lambda: signing.dumps("ACME-7", salt="hippocratic.sales.affiliate")),
    ],
    "order_form_cookie": [
        (lambda: tokens.order_form_cookie.make({"name": "Ada"}),
         lambda: signing.dumps({"name": "Ada"}, salt="hippocratic.sales.order_form",
                               compress=True)),
        (lambda: tokens.order_form_cookie.make(BIG_FORM),  # long enough to be compressed
         lambda: signing.dumps(BIG_FORM, salt="hippocratic.sales.order_form", compress=True)),
    ],
    "unsubscribe_link": [
        (lambda: sending.unsubscribe_token(12, 3),
         lambda: signing.Signer(salt="hippocratic.messaging.unsubscribe").sign("12.3")),
        (lambda: sending.unsubscribe_token("p7", 3),
         lambda: signing.Signer(salt="hippocratic.messaging.unsubscribe").sign("p7.3")),
    ],
    "join_link": [
        (lambda: services.join_token(42),
         lambda: signing.dumps(42, salt="hippocratic.messaging.join")),
    ],
    "inquiry_fingerprint": [
        (lambda: tokens.inquiry_fingerprint.digest('{"name": "ada"}'),
         lambda: _hmac_hex("hippocratic.accounts.inquiry", '{"name": "ada"}', SECRET)[:32]),
    ],
    "mail_address": [
        (lambda: tokens.mail_address.digest("reply.12.3"),
         lambda: _hmac_hex("hippocratic.messaging.reply", "reply.12.3", SECRET)[:16]),
        (lambda: inbound.reply_address(12, 3),
         lambda: "reply+12-3-"
         + _hmac_hex("hippocratic.messaging.reply", "reply.12.3", SECRET)[:16]
         + "@ducallier.com"),
        (lambda: inbound.reply_address("p7", 3, "bounce"),
         lambda: "bounce+p7-3-"
         + _hmac_hex("hippocratic.messaging.reply", "bounce.p7.3", SECRET)[:16]
         + "@ducallier.com"),
    ],
    "suppressed_address": [
        (lambda: suppression.digest("  Ada@Lovelace.EXAMPLE "),
         lambda: _hmac_hex("hippocratic.messaging.suppression", "ada@lovelace.example", SECRET)),
        (lambda: suppression.digest("ada@lovelace.example"),
         lambda: salted_hmac("hippocratic.messaging.suppression", "ada@lovelace.example",
                             algorithm="sha256").hexdigest()),
    ],
    "confirm_link": [
        (lambda: identity.confirm_token(9),
         lambda: signing.dumps(9, salt="hippocratic.requests.confirm", compress=False)),
    ],
    "invitation_link": [
        (lambda: account_services.invitation_token(5),
         lambda: signing.dumps({"org": 5}, salt="hippocratic.accounts.invitation")),
    ],
    "login_pseudonym": [
        (lambda: throttling.pseudonym_of(" Ada "),
         lambda: "h:" + salted_hmac("hippocratic.accounts.throttling.pseudonym", "ada",
                                    algorithm="sha256").hexdigest()[:40]),
    ],
    "view_link": [
        (lambda: identity.view_token(9),
         lambda: signing.dumps(9, salt="hippocratic.requests.view", compress=False)),
    ],
}  # fmt: skip


def _instances() -> dict[str, Tokens]:
    return {name: t for name, t in vars(tokens).items() if isinstance(t, Tokens)}


def test_every_use_is_pinned_and_has_a_salt_of_its_own():
    uses = _instances()
    assert set(PINNED) == set(uses)
    salts = [t.salt for t in uses.values()]
    assert len(set(salts)) == len(salts)
    assert all(s.startswith("hippocratic.") and s.count(".") >= 2 for s in salts)


@pytest.mark.parametrize("use", sorted(PINNED))
def test_tokens_are_byte_for_byte_what_they_were(use):
    with (
        use_profile("ducallier"),
        override_settings(SECRET_KEY=SECRET, SECRET_KEY_FALLBACKS=[]),
        mock.patch("time.time", return_value=NOW),
    ):
        for new, old in PINNED[use]:
            assert new() == old()


def test_tokens_made_before_are_read_as_before():
    with override_settings(SECRET_KEY=SECRET, SECRET_KEY_FALLBACKS=[]):
        old = signing.Signer(salt="hippocratic.messaging.unsubscribe")
        assert sending.recipient_of_token(old.sign("12.3")) == ("customer", 12)
        assert sending.recipient_of_token(old.sign("p7.3")) == ("prospect", 7)
        # Links in messages sent before the compact form: a signed {"c": customer}.
        older = signing.dumps({"c": 12}, salt="hippocratic.messaging.unsubscribe")
        assert sending.recipient_of_token(older) == ("customer", 12)
        assert sending.recipient_of_token(older[:-1] + "x") is None
        assert sending.recipient_of_token(old.sign("x.3")) is None
        joined = signing.dumps(42, salt="hippocratic.messaging.join")
        assert services.membership_of_token(joined) == 42
        confirm = signing.dumps(9, salt="hippocratic.requests.confirm", compress=False)
        view = signing.dumps(9, salt="hippocratic.requests.view", compress=False)
        assert identity.confirmed_request(confirm) == 9
        assert identity.viewed_request(view) == 9
        # Each only for its own use.
        assert identity.viewed_request(confirm) is None
        assert services.membership_of_token(confirm) is None
        assert tokens.affiliate_cookie.check(joined) is None


def test_a_value_expires_with_its_max_age():
    with mock.patch("time.time", return_value=NOW):
        token = identity.confirm_token(9)
    with mock.patch("time.time", return_value=NOW + identity.MAX_AGE - 1):
        assert identity.confirmed_request(token) == 9
    with mock.patch("time.time", return_value=NOW + identity.MAX_AGE + 1):
        assert identity.confirmed_request(token) is None
        assert identity.viewed_request(identity.view_token(9)) == 9  # no max_age: kept


@pytest.mark.django_db
def test_a_rotated_key_keeps_old_tokens_good_while_it_is_a_fallback():
    with use_profile("ducallier"), override_settings(SECRET_KEY=SECRET):
        reply = inbound.reply_address(12, 3)
        link = sending.unsubscribe_token(12, 3)
        confirm = identity.confirm_token(9)
        suppression.suppress("ada@lovelace.example", Suppression.Reason.BOUNCED)
    rotated = {"SECRET_KEY": "a-new-" + SECRET, "SECRET_KEY_FALLBACKS": [SECRET]}
    with use_profile("ducallier"), override_settings(**rotated):
        assert inbound.reply_address(12, 3) != reply  # made with the new key
        assert tokens.mail_address.check_digest("reply.12.3", reply.split("-")[2][:16])
        assert sending.recipient_of_token(link) == ("customer", 12)
        assert identity.confirmed_request(confirm) == 9
        assert suppression.suppressed(["ADA@lovelace.example", "b@x.example"]) == {
            "ADA@lovelace.example"
        }
    gone = {"SECRET_KEY": "a-new-" + SECRET, "SECRET_KEY_FALLBACKS": []}
    with use_profile("ducallier"), override_settings(**gone):
        assert not tokens.mail_address.check_digest("reply.12.3", reply.split("-")[2][:16])
        assert sending.recipient_of_token(link) is None
        assert identity.confirmed_request(confirm) is None
        assert suppression.suppressed(["ada@lovelace.example"]) == set()


def test_a_digests_key_is_derived_once_per_secret():
    with override_settings(SECRET_KEY=SECRET):
        tokens.suppressed_address.digest("a@b.example")
        before = tokens._key.cache_info()
        for n in range(10):
            tokens.suppressed_address.digest(f"{n}@b.example")
        after = tokens._key.cache_info()
    assert (after.misses, after.hits) == (before.misses, before.hits + 10)


def test_a_secret_can_be_given_as_djangos_token_generator_takes_one():
    mine = Tokens("hippocratic.tests.own_secret")
    mine.secret, mine.secret_fallbacks = "one", []
    token = mine.sign("x")
    assert signing.Signer(key="one", salt="hippocratic.tests.own_secret").sign("x") == token
    mine.secret = "two"
    assert mine.unsign(token) is None
    mine.secret_fallbacks = ["one"]
    assert mine.unsign(token) == "x"
