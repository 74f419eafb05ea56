"""Personal text sealed at rest: AES-256-GCM under the site's master key ring,
HIPPOCRATIC_MAILBOX_KEY (COM-1's mailboxes wrap each customer's key with it; a
request to support seals what was asked with it directly).

    subject = personal(SealedTextField(max_length=998, blank=True), "user.account")

A SealedTextField reads and writes plain text in Python and keeps only ciphertext in
the database: the column holds `s1:` and the URL-safe base64 of a random nonce and
the sealed bytes, bound (as GCM's associated data) to the model and field, so a value
copied to another field does not open. The empty string stays empty (retention
blanks a field to ""). The first key of the ring seals, every key opens: a key
rotated out (`hippocratic keys rotate mailbox`) still opens what it sealed.
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

NONCE = 12
PREFIX = "s1:"
# What a sealed value shows where no key of the ring opens it (a lost key, a value
# tampered with): said, never a 500 in the staff queue, never the ciphertext.
DOES_NOT_OPEN = "[sealed text that this site's keys do not open]"


class Unreadable(ValueError):
    """A sealed value did not open: the wrong key, or a value tampered with."""


def master_key() -> bytes:
    """The master key that seals: the first of HIPPOCRATIC_MAILBOX_KEY's ring (32 bytes,
    URL-safe base64). Without it the key is derived from SECRET_KEY, which settings
    allow in development and tests only (production refuses to start without it)."""
    return master_keys()[0]


def master_keys() -> tuple[bytes, ...]:
    """Every master key of the ring, the sealing one first: a key rotated out still
    opens what it wrapped (`hippocratic keys rotate mailbox`)."""
    return _master(settings.HIPPOCRATIC_MAILBOX_KEY, settings.SECRET_KEY)


@lru_cache(maxsize=2)
def _master(configured: str, secret: str) -> tuple[bytes, ...]:
    if not configured:
        return (hashlib.sha256(b"hippocratic.communications.master" + secret.encode()).digest(),)
    ring = []
    for one in configured.replace(",", " ").split():
        try:
            key = base64.urlsafe_b64decode(one.encode() + b"==")
        except ValueError:
            key = b""
        if len(key) != 32:
            raise ImproperlyConfigured(
                "HIPPOCRATIC_MAILBOX_KEY must be 32 bytes in URL-safe base64 (several: "
                "comma-separated, the sealing key first): make one with "
                "`python -c 'import base64, os; "
                "print(base64.urlsafe_b64encode(os.urandom(32)).decode())'`"
            )
        ring.append(key)
    return tuple(ring)


def seal_bytes(aead: AESGCM, plaintext: bytes, bound_to: str) -> bytes:
    """`plaintext` sealed with `aead`, bound to `bound_to`: nonce + ciphertext."""
    nonce = os.urandom(NONCE)
    return nonce + aead.encrypt(nonce, plaintext, bound_to.encode())


def open_bytes(aead: AESGCM, sealed: bytes, bound_to: str) -> bytes:
    """What seal_bytes sealed; Unreadable where it does not open."""
    try:
        return aead.decrypt(sealed[:NONCE], sealed[NONCE:], bound_to.encode())
    except Exception:  # InvalidTag, or a value too short to hold a nonce
        raise Unreadable(f"sealed value for {bound_to.split(':')[0]} did not open") from None


def seal_text(text: str, bound_to: str) -> str:
    """Text sealed with the ring's sealing key, as a column holds it ("" stays "")."""
    if not text:
        return ""
    sealed = seal_bytes(AESGCM(master_key()), text.encode("utf-8", "surrogatepass"), bound_to)
    return PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii")


def open_text(value: str, bound_to: str) -> str:
    """What seal_text sealed, opened by whichever key of the ring sealed it; a value
    that is not sealed (written before its field was) is returned as it is;
    Unreadable where no key opens it."""
    if not value or not value.startswith(PREFIX):
        return value
    try:
        sealed = base64.urlsafe_b64decode(value[len(PREFIX) :].encode("ascii"))
    except ValueError:
        raise Unreadable(f"sealed value for {bound_to} is not base64") from None
    for key in master_keys():
        try:
            return open_bytes(AESGCM(key), sealed, bound_to).decode("utf-8", "surrogatepass")
        except Unreadable:
            continue
    raise Unreadable(f"sealed value for {bound_to} did not open")


def digest(*parts: str, purpose: str) -> str:
    """A keyed hash of `parts` under the sealing key (HMAC-SHA256): the same text is
    found again (a replayed post) without keeping it in clear."""
    data = "\0".join([purpose, *parts]).encode("utf-8", "surrogatepass")
    return hmac.new(master_key(), data, hashlib.sha256).hexdigest()


class SealedTextField(models.TextField):
    """Text kept sealed in its column (see the module's docstring). Filtering on it
    compares ciphertexts, which never match: find rows by another field (a digest)."""

    def bound_to(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        try:
            return open_text(value, self.bound_to())
        except Unreadable:
            return DOES_NOT_OPEN

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None else seal_text(value, self.bound_to())
