"""The suppression list: keyed hashes of addresses never to be mailed marketing again
(after an erasure, after a hard bounce). A hash keyed with the site's secret: the list
cannot be read back into addresses, and matches an address only when it comes again."""

from django.utils.crypto import salted_hmac

from hippocratic.messaging.models import Suppression

SALT = "hippocratic.messaging.suppression"


def digest(address: str) -> str:
    return salted_hmac(SALT, address.strip().casefold(), algorithm="sha256").hexdigest()


def suppress(address: str, reason: str) -> None:
    if address:
        Suppression.objects.get_or_create(digest=digest(address), defaults={"reason": reason})


def suppressed(addresses) -> set[str]:
    """Which of `addresses` are suppressed."""
    by_digest = {digest(a): a for a in addresses if a}
    found = Suppression.objects.filter(digest__in=list(by_digest)).values_list("digest", flat=True)
    return {by_digest[d] for d in found}
