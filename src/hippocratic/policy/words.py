"""The names people read for a policy's keys: a data category, a data use, a ground for
a disclosure, in the policy's own words (its purposes' and custom categories' names),
else fideslang's names for its taxonomy, else the key's last part made readable, never
the key itself. The published page, the account pages, the admin and the mail all name
keys through here (issue 32)."""

from collections.abc import Iterable

from hippocratic.policy.models import Ground, Policy
from hippocratic.policy.render import GROUNDS
from hippocratic.policy.taxonomy import category_names, use_names


def readable(key: str) -> str:
    """The last part of a dotted or snake_case key, in words: 'credit_card' -> 'Credit card'."""
    last = str(key).rsplit(".", 1)[-1].replace("_", " ").strip()
    return last[:1].upper() + last[1:]


def _sentence(name: str) -> str:
    """fideslang's Title Case as a sentence's words: 'Credit Card Information' -> 'Credit
    card information' (acronyms such as IP stay)."""
    first, *rest = name.split(" ")
    return " ".join([first, *(w if w.isupper() and len(w) > 1 else w.lower() for w in rest)])


def category(policy: Policy, key: str) -> str:
    """'user.financial.credit_card' -> 'Credit card'."""
    for custom in policy.taxonomy.data_categories:
        if custom.fides_key == key:
            return custom.name
    named = category_names().get(key)
    return _sentence(named) if named and named != key else readable(key)


def use(policy: Policy, key: str) -> str:
    """'marketing.communications.email' -> the policy's name for that purpose."""
    if key in policy.purposes:
        return policy.purposes[key].name
    named = use_names().get(key)
    return _sentence(named) if named and named != key else readable(key)


def ground(key: str) -> str:
    """'joint_customer' -> 'You are a customer of both of us'."""
    try:
        clause = GROUNDS[Ground(key)]
    except ValueError:
        return readable(key)
    return clause[:1].upper() + clause[1:]


def categories(policy: Policy, keys: Iterable[str]) -> str:
    """Several categories as a list in a sentence: 'credit card and billing details'."""
    names = [category(policy, k) for k in keys]
    return ", ".join(n if n[:2].isupper() else n[:1].lower() + n[1:] for n in names)
