"""The suppression list: keyed hashes of addresses never to be mailed marketing again
(after an erasure, after a hard bounce). A hash keyed with the site's secret: the list
cannot be read back into addresses, and matches an address only when it comes again."""

import hashlib
import hmac
from functools import lru_cache

from django.conf import settings

from hippocratic.messaging.models import Suppression

SALT = "hippocratic.messaging.suppression"


def digest(address: str) -> str:
    """Django's salted_hmac(SALT, address, algorithm="sha256"), its key derived once per
    secret rather than per address (a campaign checks every recipient's)."""
    message = address.strip().casefold().encode()
    return hmac.new(_key(settings.SECRET_KEY), message, hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    return hashlib.sha256((SALT + secret).encode()).digest()


def suppress(address: str, reason: str) -> None:
    if address:
        Suppression.objects.get_or_create(digest=digest(address), defaults={"reason": reason})


def suppressed(addresses) -> set[str]:
    """Which of `addresses` are suppressed."""
    by_digest = {digest(a): a for a in addresses if a}
    found = Suppression.objects.filter(digest__any=list(by_digest)).values_list("digest", flat=True)
    return {by_digest[d] for d in found}
