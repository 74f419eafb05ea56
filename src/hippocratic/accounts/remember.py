"""The "remember me" cookie (CK-4): set only when the customer ticks the box, and
only where the policy declares it; encrypted (Fernet, a key derived from
SECRET_KEY) and holding a random selector and secret, never the user's name.

Each use replaces the token (a stolen cookie works once at most), and logging
out of all sessions deletes every token of the user.
"""

import base64
import datetime as dt
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils import timezone

from hippocratic.accounts.models import RememberToken
from hippocratic.provider import current_policy

COOKIE = "remember_me"


def declared():
    """The policy's declaration of the cookie, or None where it has none."""
    return next((c for c in current_policy().cookies if c.name == COOKIE), None)


def _fernet() -> Fernet:
    key = hashlib.sha256(b"hippocratic.accounts.remember" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(user) -> tuple[str, int]:
    """A new token for `user`: (cookie value, max age in seconds)."""
    cookie = declared()
    if cookie is None or not cookie.max_age_days:
        raise LookupError("the policy declares no persistent remember_me cookie")
    selector, secret = secrets.token_hex(16), secrets.token_urlsafe(32)
    max_age = cookie.max_age_days * 86400
    RememberToken.objects.create(
        user=user, selector=selector, secret_hash=_hash(secret),
        expires_at=timezone.now() + dt.timedelta(seconds=max_age),
    )  # fmt: skip
    value = _fernet().encrypt(f"{selector}:{secret}".encode()).decode()
    return value, max_age


def redeem(value: str):
    """The user a cookie value names, consuming its token; None if it is not valid."""
    try:
        selector, _, secret = _fernet().decrypt(value.encode()).decode().partition(":")
    except (InvalidToken, UnicodeDecodeError, ValueError):
        return None
    token = RememberToken.objects.filter(selector=selector).select_related("user").first()
    if token is None:
        return None
    token.delete()  # single use, valid or not
    if token.expires_at < timezone.now() or not hmac.compare_digest(
        token.secret_hash, _hash(secret)
    ):
        return None
    return token.user if token.user.is_active else None


def forget_all(user) -> int:
    return RememberToken.objects.filter(user=user).delete()[0]
