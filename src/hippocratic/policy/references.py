"""Checks that the sections of a policy refer to things that exist.

Structure is pydantic's job (models.py); this module checks the names that tie
sections together: taxonomy keys, declared purposes, visitor-log fields,
recipients and contacts. Each finding is (location, problem, expected), the
location being the key path into the YAML document.

Each rule checks the names of one section and yields its findings in file order;
RULES lists them in the order of the sections in the file, so the findings come
in the order a reader meets them. A rule keeps a section's checks together (a
cookie's name, then its purpose, then the next cookie) rather than splitting
them, so that order holds when one entry breaks two of them.
"""

from collections import Counter
from collections.abc import Callable, Iterator

from hippocratic.policy.models import Policy, SubjectKind
from hippocratic.policy.taxonomy import (
    default_categories,
    default_uses,
    unknown_key_expectation,
)

Loc = tuple[str | int, ...]
Finding = tuple[Loc, str, str]
Rule = Callable[[Policy], Iterator[Finding]]


def check_references(policy: Policy) -> list[Finding]:
    return [finding for rule in RULES for finding in rule(policy)]


def known_categories(policy: Policy) -> frozenset[str]:
    custom = {c.fides_key for c in policy.taxonomy.data_categories}
    return default_categories() | custom


# --- what a name may refer to --------------------------------------------------------


def _category(loc: Loc, key: str, known: frozenset[str]) -> Iterator[Finding]:
    if key not in known:
        expected = unknown_key_expectation(key, known, "data category")
        yield loc, f"'{key}' is not a known data category", expected


def _use(loc: Loc, key: str) -> Iterator[Finding]:
    uses = default_uses()
    if key not in uses:
        expected = unknown_key_expectation(key, uses, "data use")
        yield loc, f"'{key}' is not a known data use", expected


def _purpose(loc: Loc, key: str, policy: Policy) -> Iterator[Finding]:
    if key not in policy.purposes:
        expected = "one of the keys under 'purposes': " + ", ".join(sorted(policy.purposes))
        yield loc, f"purpose '{key}' is not declared", expected


# --- the rules, section by section ---------------------------------------------------


def custom_categories_refine_known_ones(policy: Policy) -> Iterator[Finding]:
    """A custom category is new, and sits under a known one (as in fideslang)."""
    defaults = default_categories()
    custom_keys = {c.fides_key for c in policy.taxonomy.data_categories}
    for i, custom in enumerate(policy.taxonomy.data_categories):
        loc: Loc = ("taxonomy", "data_categories", i)
        if custom.fides_key in defaults:
            yield (
                (*loc, "fides_key"),
                f"'{custom.fides_key}' is already a default category",
                "a new key, or no custom entry",
            )
        if custom.parent_key not in defaults | custom_keys:
            yield (
                (*loc, "parent_key"),
                f"parent '{custom.parent_key}' is not a known data category",
                unknown_key_expectation(custom.parent_key, defaults, "data category"),
            )
        elif not custom.fides_key.startswith(custom.parent_key + "."):
            yield (
                (*loc, "fides_key"),
                f"'{custom.fides_key}' does not start with its parent '{custom.parent_key}'",
                f"a key of the form {custom.parent_key}.<name>",
            )


def purposes_are_known_uses(policy: Policy) -> Iterator[Finding]:
    """A purpose is a data use, and requires only known data categories."""
    known = known_categories(policy)
    for key, spec in policy.purposes.items():
        yield from _use(("purposes", key), key)
        for i, required in enumerate(spec.requires):
            yield from _category(("purposes", key, "requires", i), required, known)


def subject_data_is_declared(policy: Policy) -> Iterator[Finding]:
    """A subject's data items have their own field names, a known category and
    declared purposes."""
    known = known_categories(policy)
    for kind, subject in policy.subjects.items():
        fields = Counter(item.field for item in subject.data)
        for i, item in enumerate(subject.data):
            loc: Loc = ("subjects", kind.value, "data", i)
            if fields[item.field] > 1:
                yield (*loc, "field"), f"field '{item.field}' is declared twice", "unique names"
            yield from _category((*loc, "category"), item.category, known)
            for j, key in enumerate(item.purposes):
                yield from _purpose((*loc, "purposes", j), key, policy)


def visitor_log_has_visitors(policy: Policy) -> Iterator[Finding]:
    """A visitor log records visitors, so the policy must have some."""
    if policy.visitor_log is not None and SubjectKind.VISITOR not in policy.subjects:
        yield ("visitor_log",), "a visitor log needs visitors", "a 'subjects.visitor' section"


def logged_fields_are_visitor_data(policy: Policy) -> Iterator[Finding]:
    """What the visitor log records is declared as visitor data."""
    visitor = policy.subjects.get(SubjectKind.VISITOR)
    if policy.visitor_log is None or visitor is None:
        return
    names = {item.field for item in visitor.data}
    for i, field in enumerate(policy.visitor_log.fields):
        if field.value not in names:
            yield (
                ("visitor_log", "fields", i),
                f"'{field.value}' is logged but not declared as visitor data",
                f"an entry with field: {field.value} under subjects.visitor.data",
            )


def cookies_are_declared_once_for_a_purpose(policy: Policy) -> Iterator[Finding]:
    """Each cookie name appears once, and serves a declared purpose."""
    names = Counter(cookie.name for cookie in policy.cookies)
    for i, cookie in enumerate(policy.cookies):
        if names[cookie.name] > 1:
            yield ("cookies", i, "name"), f"cookie '{cookie.name}' is declared twice", "unique"
        yield from _purpose(("cookies", i, "purpose"), cookie.purpose, policy)


def recipients_are_declared_once_on_grounds(policy: Policy) -> Iterator[Finding]:
    """Each recipient key appears once, names known categories, and anyone who
    receives anything has grounds to."""
    known = known_categories(policy)
    keys = Counter(r.key for r in policy.recipients)
    for i, recipient in enumerate(policy.recipients):
        if keys[recipient.key] > 1:
            yield ("recipients", i, "key"), f"recipient '{recipient.key}' is twice", "unique"
        for j, key in enumerate(recipient.categories):
            yield from _category(("recipients", i, "categories", j), key, known)
        if (recipient.categories or recipient.aggregates_only) and not recipient.grounds:
            yield (
                ("recipients", i),
                f"'{recipient.key}' receives data on no grounds",
                "a 'grounds' list saying why it may receive it",
            )


def prohibitions_name_known_keys(policy: Policy) -> Iterator[Finding]:
    """A prohibition forbids known data uses of known data categories."""
    known = known_categories(policy)
    for i, rule in enumerate(policy.prohibitions):
        for j, key in enumerate(rule.categories):
            yield from _category(("prohibitions", i, "categories", j), key, known)
        for j, key in enumerate(rule.uses):
            yield from _use(("prohibitions", i, "uses", j), key)


def communications_categories_are_known(policy: Policy) -> Iterator[Finding]:
    """Communications and hosted data are of known data categories."""
    comms = policy.communications
    if comms is None:
        return
    known = known_categories(policy)
    yield from _category(("communications", "category"), comms.category, known)
    if comms.hosted_data is not None:
        loc = ("communications", "hosted_data", "category")
        yield from _category(loc, comms.hosted_data.category, known)


def choices_name_what_exists(policy: Policy) -> Iterator[Finding]:
    """A choice stops declared purposes and recipients, through contacts that are set."""
    recipient_keys = {r.key for r in policy.recipients}
    contacts = policy.provider.contacts
    for i, choice in enumerate(policy.choices):
        for j, key in enumerate(choice.uses):
            yield from _purpose(("choices", i, "uses", j), key, policy)
        for j, key in enumerate(choice.recipients):
            if key not in recipient_keys:
                expected = "a key under 'recipients': " + ", ".join(sorted(recipient_keys))
                yield ("choices", i, "recipients", j), f"no recipient '{key}'", expected
        for j, channel in enumerate(choice.channels):
            if channel.contact and getattr(contacts, channel.contact) is None:
                yield (
                    ("choices", i, "channels", j, "contact"),
                    f"contact '{channel.contact}' is not set",
                    f"provider.contacts.{channel.contact} to be given",
                )


def promises_are_listed_once(policy: Policy) -> Iterator[Finding]:
    seen = Counter(policy.promises)
    for i, promise_id in enumerate(policy.promises):
        if seen[promise_id] > 1:
            yield ("promises", i), f"promise '{promise_id}' is listed twice", "each ID once"


RULES: tuple[Rule, ...] = (
    custom_categories_refine_known_ones,
    purposes_are_known_uses,
    subject_data_is_declared,
    visitor_log_has_visitors,
    logged_fields_are_visitor_data,
    cookies_are_declared_once_for_a_purpose,
    recipients_are_declared_once_on_grounds,
    prohibitions_name_known_keys,
    communications_categories_are_known,
    choices_name_what_exists,
    promises_are_listed_once,
)
