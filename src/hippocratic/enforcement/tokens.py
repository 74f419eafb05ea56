"""Every token the site signs, in one place, in the shape of Django's own
(django.contrib.auth.tokens): one class, and one instance per use, each with a dotted
salt no other use shares, so a token made for one use never passes for another.

    tokens.join_link.make(membership_id) -> "…"          a signed value (JSON, timestamped)
    tokens.join_link.check(token, max_age=…) -> value or None
    tokens.unsubscribe_link.sign("12.3") -> "12.3:…"      a signed string (no timestamp)
    tokens.unsubscribe_link.unsign(token) -> "12.3" or None
    tokens.mail_address.digest("reply.12.3") -> 16 hex    a short keyed digest
    tokens.mail_address.check_digest("reply.12.3", sig) -> bool

Made with SECRET_KEY; checked against it and then SECRET_KEY_FALLBACKS, as Django
checks its own: rotating the key leaves links and addresses already sent working while
the old key stays a fallback. Each scheme is byte for byte what the code before this
module wrote (django.core.signing's dumps and Signer, and salted_hmac's sha256), so
tokens already out keep verifying (tests/enforcement/test_tokens.py pins it).
"""

import hashlib
import hmac
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes


class Tokens:
    """The tokens of one use, named by its salt."""

    _secret = None
    _secret_fallbacks = None
    _signers = None  # (the secrets, the Signer made with them)

    def __init__(self, salt: str, *, compress: bool = False, digest_length: int | None = None):
        self.salt = salt
        self.compress = compress  # make(): zlib where it saves room (a cookie's 4 KB)
        self.digest_length = digest_length  # digest(): hex digits kept; None: all 64

    def __repr__(self) -> str:
        return f"Tokens({self.salt!r})"

    def _get_secret(self):
        return self._secret or settings.SECRET_KEY

    def _set_secret(self, secret):
        self._secret = secret

    secret = property(_get_secret, _set_secret)

    def _get_fallbacks(self):
        if self._secret_fallbacks is None:
            return settings.SECRET_KEY_FALLBACKS
        return self._secret_fallbacks

    def _set_fallbacks(self, fallbacks):
        self._secret_fallbacks = fallbacks

    secret_fallbacks = property(_get_fallbacks, _set_fallbacks)

    # --- a signed value: django.core.signing.dumps/loads -------------------------------

    def make(self, value) -> str:
        """`value` (anything JSON holds) signed, with the time it was signed."""
        return signing.dumps(value, key=self.secret, salt=self.salt, compress=self.compress)

    def check(self, token: str, max_age: int | None = None):
        """The value `token` signs; None where it was altered, is older than `max_age`
        seconds or was not made for this use."""
        try:
            return signing.loads(token, key=self.secret, salt=self.salt, max_age=max_age,
                                 fallback_keys=self.secret_fallbacks)  # fmt: skip
        except signing.BadSignature:  # also SignatureExpired
            return None
        except ValueError:  # signed by sign(), under the same salt: no value of make()'s
            return None

    # --- a signed string: django.core.signing.Signer -----------------------------------

    def sign(self, text: str) -> str:
        """`text`:<signature>: no JSON, no timestamp (a link in every marketing message)."""
        return self._signer().sign(text)

    def unsign(self, token: str) -> str | None:
        """The text `token` signs; None where it was altered or not made for this use."""
        try:
            return self._signer().unsign(token)
        except signing.BadSignature:
            return None

    def _signer(self) -> signing.Signer:
        """Django's Signer for the secrets in force, made again only when they change
        (a campaign signs a link for every recipient)."""
        keys = (self.secret, tuple(self.secret_fallbacks))
        made = self._signers
        if made is None or made[0] != keys:
            signer = signing.Signer(key=keys[0], salt=self.salt, fallback_keys=list(keys[1]))
            made = self._signers = (keys, signer)
        return made[1]

    # --- a keyed digest: salted_hmac(salt, value, algorithm="sha256") -------------------

    def digest(self, value: str) -> str:
        """Hex digits of Django's salted_hmac of `value`, cut to `digest_length`: where
        there is no room for a signature (a mail address's local part) or only the
        digest is kept (the suppression list). Its key is derived once per secret."""
        return self._digest(value, self.secret)

    def digests(self, value: str) -> list[str]:
        """`value`'s digest under the secret and under each fallback, in that order (to
        find a digest kept before the key was rotated)."""
        mine = [self._digest(value, self.secret)]
        for secret in self.secret_fallbacks:
            mine.append(self._digest(value, secret))
        return mine

    def check_digest(self, value: str, digest: str) -> bool:
        """Whether `digest` is `value`'s, under the secret or a fallback."""
        return any(constant_time_compare(digest, mine) for mine in self.digests(value))

    def _digest(self, value: str, secret) -> str:
        mac = hmac.new(_key(self.salt, secret), value.encode(), hashlib.sha256).hexdigest()
        return mac[: self.digest_length]


@lru_cache(maxsize=64)
def _key(salt: str, secret) -> bytes:
    """salted_hmac's key: derived once per salt and secret, not per digest (a campaign
    checks every recipient's address, a reply's address is checked per message)."""
    return hashlib.sha256(force_bytes(salt) + force_bytes(secret)).digest()


# --- one per use -----------------------------------------------------------------------

# accounts.services: the link inviting a colleague into an organisation (ACC-5).
invitation_link = Tokens("hippocratic.accounts.invitation")
# accounts.throttling: the pseudonym django-axes keeps of a user name tried (SEC-1).
login_pseudonym = Tokens("hippocratic.accounts.throttling.pseudonym", digest_length=40)

# accounts.services: the digest of an inquiry, so the same one sent again is one row.
inquiry_fingerprint = Tokens("hippocratic.accounts.inquiry", digest_length=32)

# sales.affiliates: the affiliate cookie (CK-5), for the browser session.
affiliate_cookie = Tokens("hippocratic.sales.affiliate")
# sales.order_cookie: what a visitor typed into an order form (CK-2).
order_form_cookie = Tokens("hippocratic.sales.order_form", compress=True)
# messaging.sending: the one-click unsubscribe link, "<recipient>.<campaign>" signed
# (MSG-5); messages sent before that form carry a signed {"c": customer} (check()).
unsubscribe_link = Tokens("hippocratic.messaging.unsubscribe")
# messaging.services: a prospect's link confirming they join the list (MSG-2).
join_link = Tokens("hippocratic.messaging.join")
# messaging.inbound: reply+ and bounce+ addresses, "<kind>.<recipient>.<campaign>"
# digested to 16 hex digits (a local part has room for no more).
mail_address = Tokens("hippocratic.messaging.reply", digest_length=16)
# messaging.suppression: addresses never to be mailed marketing again, kept as digests.
suppressed_address = Tokens("hippocratic.messaging.suppression")
# requests.identity: the link confirming a mailed request, and the asker's own link to it.
confirm_link = Tokens("hippocratic.requests.confirm")
view_link = Tokens("hippocratic.requests.view")
