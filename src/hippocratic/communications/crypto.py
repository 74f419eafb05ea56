"""Mailbox encryption at rest: AES-256-GCM with a key per customer (COM-1, ACC-8).

Each customer's key is random and stored wrapped (encrypted) by the site's master
key, HIPPOCRATIC_MAILBOX_KEY. Erasing the customer deletes the wrapped key: every
message sealed with it is unreadable from then on, wherever a copy of it lies (a
backup, a free page of the database file): crypto-erasure.

Each sealed value is bound (as GCM's associated data) to its customer and to what
it is, so a ciphertext copied to another customer's row or field does not open.
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE = 12


class Unreadable(ValueError):
    """A sealed value did not open: the wrong key, or a value tampered with."""


def master_key() -> bytes:
    """The master key: HIPPOCRATIC_MAILBOX_KEY (32 bytes, URL-safe base64). Without it
    the key is derived from SECRET_KEY, which settings allow in development and tests
    only (production refuses to start without it, see the settings)."""
    return _master(settings.HIPPOCRATIC_MAILBOX_KEY, settings.SECRET_KEY)


@lru_cache(maxsize=2)
def _master(configured: str, secret: str) -> bytes:
    if configured:
        try:
            key = base64.urlsafe_b64decode(configured.encode() + b"==")
        except ValueError:
            key = b""
        if len(key) != 32:
            raise ImproperlyConfigured(
                "HIPPOCRATIC_MAILBOX_KEY must be 32 bytes in URL-safe base64: make one with "
                "`python -c 'import base64, os; "
                "print(base64.urlsafe_b64encode(os.urandom(32)).decode())'`"
            )
        return key
    return hashlib.sha256(b"hippocratic.communications.master" + secret.encode()).digest()


def new_wrapped_key(customer_id: int) -> bytes:
    """A fresh random key for a customer, wrapped by the master key."""
    return _seal(AESGCM(master_key()), AESGCM.generate_key(256), f"key:{customer_id}")


@lru_cache(maxsize=1024)
def _unwrapped(customer_id: int, wrapped: bytes, master: bytes) -> AESGCM:
    return AESGCM(_open(AESGCM(master), wrapped, f"key:{customer_id}"))


def cipher(customer_id: int, wrapped: bytes) -> AESGCM:
    """The customer's cipher (cached: a page of 50 messages unwraps the key once)."""
    return _unwrapped(customer_id, bytes(wrapped), master_key())


def forget_cached_keys() -> None:
    """Drop unwrapped keys from memory (after an erasure)."""
    _unwrapped.cache_clear()


def seal(aead: AESGCM, customer_id: int, what: str, plaintext: bytes) -> bytes:
    return _seal(aead, plaintext, f"{customer_id}:{what}")


def unseal(aead: AESGCM, customer_id: int, what: str, sealed: bytes) -> bytes:
    return _open(aead, bytes(sealed), f"{customer_id}:{what}")


def _seal(aead: AESGCM, plaintext: bytes, bound_to: str) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + aead.encrypt(nonce, plaintext, bound_to.encode())


def _open(aead: AESGCM, sealed: bytes, bound_to: str) -> bytes:
    try:
        return aead.decrypt(sealed[:NONCE], sealed[NONCE:], bound_to.encode())
    except Exception:  # InvalidTag, or a value too short to hold a nonce
        raise Unreadable(f"sealed value for {bound_to.split(':')[0]} did not open") from None


def lookup_key(customer_id: int, message_id: str) -> str:
    """A message's Message-ID as stored: a keyed hash, so a retried delivery is stored
    once and a harm report can name a message, without the header in clear."""
    mac = hmac.new(master_key(), f"{customer_id}\0{message_id}".encode(), hashlib.sha256)
    return mac.hexdigest()
