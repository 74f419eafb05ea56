"""Mailbox encryption at rest: AES-256-GCM with a key per customer (COM-1, ACC-8).

Each customer's key is random and stored wrapped (encrypted) by the site's master
key, HIPPOCRATIC_MAILBOX_KEY. Erasing the customer deletes the wrapped key: every
message sealed with it is unreadable from then on, wherever a copy of it lies (a
backup, a free page of the database file): crypto-erasure.

Each sealed value is bound (as GCM's associated data) to its customer and to what
it is, so a ciphertext copied to another customer's row or field does not open.
"""

import hashlib
import hmac
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# The master key ring and the sealing itself are the enforcement floor's (requests to
# support are sealed with the ring too); the names stay here for the mailbox's code.
from hippocratic.enforcement.sealing import (
    Unreadable,
    master_key,
    master_keys,
)
from hippocratic.enforcement.sealing import open_bytes as _open
from hippocratic.enforcement.sealing import seal_bytes as _seal


def new_wrapped_key(customer_id: int) -> bytes:
    """A fresh random key for a customer, wrapped by the master key."""
    return _seal(AESGCM(master_key()), AESGCM.generate_key(256), f"key:{customer_id}")


@lru_cache(maxsize=1024)
def _unwrapped(customer_id: int, wrapped: bytes, ring: tuple[bytes, ...]) -> AESGCM:
    for master in ring[:-1]:
        try:
            return AESGCM(_open(AESGCM(master), wrapped, f"key:{customer_id}"))
        except Unreadable:
            continue  # wrapped under an older key of the ring
    return AESGCM(_open(AESGCM(ring[-1]), wrapped, f"key:{customer_id}"))


def cipher(customer_id: int, wrapped: bytes) -> AESGCM:
    """The customer's cipher (cached: a page of 50 messages unwraps the key once), its
    key unwrapped by whichever key of the ring wrapped it."""
    return _unwrapped(customer_id, bytes(wrapped), master_keys())


def forget_cached_keys() -> None:
    """Drop unwrapped keys from memory (after an erasure)."""
    _unwrapped.cache_clear()


def seal(aead: AESGCM, customer_id: int, what: str, plaintext: bytes) -> bytes:
    return _seal(aead, plaintext, f"{customer_id}:{what}")


def unseal(aead: AESGCM, customer_id: int, what: str, sealed: bytes) -> bytes:
    return _open(aead, bytes(sealed), f"{customer_id}:{what}")


def lookup_key(customer_id: int, message_id: str) -> str:
    """A message's Message-ID as stored: a keyed hash, so a retried delivery is stored
    once and a harm report can name a message, without the header in clear."""
    return lookup_keys(customer_id, message_id)[0]


def lookup_keys(customer_id: int, message_id: str) -> list[str]:
    """The Message-ID's keyed hash under each key of the ring, the sealing key's first:
    a message stored before a rotation is still found by its Message-ID."""
    data = f"{customer_id}\0{message_id}".encode()
    return [hmac.new(key, data, hashlib.sha256).hexdigest() for key in master_keys()]
