"""Data categories and data uses: fideslang's default taxonomy plus a policy's own.

Custom categories go through the same checks as the defaults: a custom key must
refine an existing one (its parent_key), as in fideslang.
"""

import difflib
from functools import cache

from fideslang.default_taxonomy import DEFAULT_TAXONOMY


@cache
def default_categories() -> frozenset[str]:
    return frozenset(c.fides_key for c in DEFAULT_TAXONOMY.data_category)


@cache
def default_uses() -> frozenset[str]:
    return frozenset(u.fides_key for u in DEFAULT_TAXONOMY.data_use)


# fideslang names these after their keys ("User Contact Email"), which a page would print
# as "name and user contact email": the words a reader uses instead.
READABLE_CATEGORIES = {
    "user.contact.email": "E-mail address",
    "user.contact.address": "Postal address",
    "user.contact.phone_number": "Phone number",
    "user.contact.url": "Website",
    "user.contact.address.city": "City",
    "user.contact.address.country": "Country",
    "user.contact.address.postal_code": "Postal code",
    "user.contact.address.state": "State",
    "user.contact.address.street": "Street",
}


@cache
def category_names() -> dict[str, str]:
    names = {c.fides_key: c.name or c.fides_key for c in DEFAULT_TAXONOMY.data_category}
    return names | READABLE_CATEGORIES


@cache
def use_names() -> dict[str, str]:
    return {u.fides_key: u.name or u.fides_key for u in DEFAULT_TAXONOMY.data_use}


def is_within(key: str, ancestor: str) -> bool:
    """Whether `key` is `ancestor` or below it: user.financial.credit_card is within user."""
    return key == ancestor or key.startswith(ancestor + ".")


def nearest(key: str, known: frozenset[str] | set[str], limit: int = 3) -> list[str]:
    """The valid keys closest to a misspelt or invented one, best first.

    Close spellings come first; failing those, the children of the longest
    valid prefix, so "user.contact.mail" suggests user.contact.email.
    """
    close = difflib.get_close_matches(key, sorted(known), n=limit, cutoff=0.75)
    if close:
        return close
    parts = key.split(".")
    for length in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:length])
        children = sorted(k for k in known if k.startswith(prefix + ".") and k.count(".") == length)
        if children:
            return children[:limit]
    return difflib.get_close_matches(key, sorted(known), n=limit, cutoff=0.4)


def unknown_key_expectation(key: str, known: frozenset[str] | set[str], what: str) -> str:
    suggestions = nearest(key, known)
    if suggestions:
        return f"a {what} such as " + ", ".join(suggestions)
    return f"a {what} from fideslang's default taxonomy"
