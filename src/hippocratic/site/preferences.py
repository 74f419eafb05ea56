"""Display preferences kept in the `preferences` cookie (CK-1).

The cookie can hold only a choice among a few fixed values per setting, so it
cannot carry an identity: everyone who picks the same options gets the very
same cookie. Anything else found in it is ignored.
"""

from hippocratic.provider import current_policy

COOKIE = "preferences"
CHOICES: dict[str, tuple[str, ...]] = {
    "text": ("normal", "large"),
    "theme": ("light", "dark"),
}
DEFAULTS = {name: values[0] for name, values in CHOICES.items()}


def parse(value: str) -> dict[str, str]:
    """The choices in a cookie value; unknown keys and values are dropped."""
    chosen = dict(DEFAULTS)
    for part in value.split("."):
        name, _, choice = part.partition("-")
        if choice in CHOICES.get(name, ()):
            chosen[name] = choice
    return chosen


def serialise(chosen: dict[str, str]) -> str:
    """`text-large.theme-dark`: only known settings, in a fixed order."""
    return ".".join(
        f"{name}-{chosen[name]}" for name in CHOICES if chosen.get(name) != DEFAULTS[name]
    )


def max_age_seconds() -> int | None:
    cookie = next((c for c in current_policy().cookies if c.name == COOKIE), None)
    if cookie is None:
        raise LookupError("the policy declares no preferences cookie")
    return cookie.max_age_days * 86400 if cookie.max_age_days else None
