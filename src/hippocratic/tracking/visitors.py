"""Unique visitors without cookies or stored identifiers (VIS-6).

A visitor's digest is a keyed hash (BLAKE2b) of address, user agent and site
under a random salt made for each day. Salts are deleted 48 hours after they
were made, and the digests of that day with them: from then on nothing links
a count to an address. Within a day the same visitor gives the same digest;
across days the digests differ, so no history builds up.
"""

import datetime as dt
import hashlib
import secrets
import threading

from django.db import IntegrityError, transaction
from django.utils import timezone

from hippocratic.tracking.models import DailySalt

SALT_LIFETIME = dt.timedelta(hours=48)

_cache: dict[dt.date, bytes] = {}
_lock = threading.Lock()


def _now():
    """The clock, for mocking in tests."""
    return timezone.now()


def salt_for(day: dt.date) -> bytes:
    """The salt of `day`, made on first use. Cached per process."""
    salt = _cache.get(day)
    if salt is not None:
        return salt
    with _lock:
        row = DailySalt.objects.filter(day=day).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = DailySalt.objects.create(day=day, salt=secrets.token_bytes(32))
            except IntegrityError:  # another process made it first
                row = DailySalt.objects.get(day=day)
        _cache[day] = salt = bytes(row.salt)
    return salt


def clear_cache() -> None:
    _cache.clear()


def digest(*, day: dt.date, address: str, user_agent: str, site: str) -> str:
    key = salt_for(day)
    text = "\x00".join((address, user_agent, site)).encode("utf-8", "replace")
    return hashlib.blake2b(text, key=key, digest_size=16).hexdigest()


def expired_salt_days(now: dt.datetime | None = None) -> list[dt.date]:
    cutoff = (now or _now()) - SALT_LIFETIME
    return list(DailySalt.objects.filter(created_at__lt=cutoff).values_list("day", flat=True))


def forget_salts(days: list[dt.date]) -> int:
    """Delete the salts of `days` (the caller blanks those days' digests first)."""
    for day in days:
        _cache.pop(day, None)
    return DailySalt.objects.filter(day__in=days).delete()[0]
