"""The suppression list: keyed hashes of addresses never to be mailed marketing again
(after an erasure, after a hard bounce). A hash keyed with the site's secret: the list
cannot be read back into addresses, and matches an address only when it comes again."""

from hippocratic.enforcement import tokens
from hippocratic.messaging.models import Suppression


def _normal(address: str) -> str:
    return address.strip().casefold()


def digest(address: str) -> str:
    """Django's salted_hmac of the address (tokens.suppressed_address), its key derived
    once per secret rather than per address (a campaign checks every recipient's)."""
    return tokens.suppressed_address.digest(_normal(address))


def suppress(address: str, reason: str) -> None:
    if address:
        Suppression.objects.get_or_create(digest=digest(address), defaults={"reason": reason})


def suppressed(addresses) -> set[str]:
    """Which of `addresses` are suppressed: under the secret, or under a fallback one
    (a digest kept before the key was rotated)."""
    by_digest = {
        d: a for a in addresses if a for d in tokens.suppressed_address.digests(_normal(a))
    }
    found = Suppression.objects.filter(digest__any=list(by_digest)).values_list("digest", flat=True)
    return {by_digest[d] for d in found}
