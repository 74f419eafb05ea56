"""The small pieces of English the published policy is written with.

Lists, periods, dates and the names of purposes and categories are worded here
once, so every section of the page (and both notations) words them alike.
"""

import datetime as dt
from collections.abc import Iterable

from hippocratic.policy.models import Policy
from hippocratic.policy.taxonomy import category_names


def join(words: Iterable[str], last: str = "and") -> str:
    """'a, b and c' (or 'a, b or c')."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def lower(label: str) -> str:
    """Lower-case a label's first letter, leaving acronyms such as ISP alone."""
    acronym = label[:2].isalpha() and label[:2].isupper()
    return label if acronym else label[:1].lower() + label[1:]


def possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def days(days: int) -> str:
    """A period as the software counts it, in days: '30 days', '1 day'; a multiple of
    365 says the years it comes to, '2,555 days (about 7 years)', since the software
    counts days and leap days make 2,555 of them two short of seven calendar years."""
    counted = f"{days:,} day{'s' if days != 1 else ''}"
    if days and days % 365 == 0:
        years = days // 365
        return f"{counted} (about {'a year' if years == 1 else f'{years} years'})"
    return counted


def long_date(date: dt.date) -> str:
    """'May 4, 2001'."""
    return f"{date.strftime('%B')} {date.day}, {date.year}"


def uses(policy: Policy, keys: Iterable[str]) -> str:
    """The names of the declared purposes `keys`, as a list in a sentence."""
    return join([lower(policy.purposes[k].name) for k in keys])


def category_name(policy: Policy, key: str) -> str:
    """A data category's name, the policy's own custom categories included."""
    for custom in policy.taxonomy.data_categories:
        if custom.fides_key == key:
            return custom.name.lower()
    return category_names().get(key, key).lower()
