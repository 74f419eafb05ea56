"""Checks that the sections of a policy refer to things that exist.

Structure is pydantic's job (models.py); this module checks the names that tie
sections together: taxonomy keys, declared purposes, visitor-log fields,
recipients and contacts. Each finding is (location, problem, expected), the
location being the key path into the YAML document.
"""

from collections import Counter
from collections.abc import Iterator

from hippocratic.policy.models import Policy, SubjectKind
from hippocratic.policy.taxonomy import (
    default_categories,
    default_uses,
    unknown_key_expectation,
)

Loc = tuple[str | int, ...]
Finding = tuple[Loc, str, str]


def check_references(policy: Policy) -> list[Finding]:
    return list(_findings(policy))


def known_categories(policy: Policy) -> frozenset[str]:
    custom = {c.fides_key for c in policy.taxonomy.data_categories}
    return default_categories() | custom


def _findings(policy: Policy) -> Iterator[Finding]:
    yield from _custom_categories(policy)
    categories = known_categories(policy)
    uses = default_uses()
    declared = set(policy.purposes)

    def category(loc: Loc, key: str) -> Iterator[Finding]:
        if key not in categories:
            expected = unknown_key_expectation(key, categories, "data category")
            yield loc, f"'{key}' is not a known data category", expected

    def use(loc: Loc, key: str) -> Iterator[Finding]:
        if key not in uses:
            yield (
                loc,
                f"'{key}' is not a known data use",
                unknown_key_expectation(key, uses, "data use"),
            )

    def purpose(loc: Loc, key: str) -> Iterator[Finding]:
        if key not in declared:
            expected = "one of the keys under 'purposes': " + ", ".join(sorted(declared))
            yield loc, f"purpose '{key}' is not declared", expected

    for key, spec in policy.purposes.items():
        yield from use(("purposes", key), key)
        for i, required in enumerate(spec.requires):
            yield from category(("purposes", key, "requires", i), required)

    for kind, subject in policy.subjects.items():
        base: Loc = ("subjects", kind.value)
        fields = Counter(item.field for item in subject.data)
        for i, item in enumerate(subject.data):
            loc = (*base, "data", i)
            if fields[item.field] > 1:
                yield (*loc, "field"), f"field '{item.field}' is declared twice", "unique names"
            yield from category((*loc, "category"), item.category)
            for j, key in enumerate(item.purposes):
                yield from purpose((*loc, "purposes", j), key)

    if policy.visitor_log is not None:
        visitor = policy.subjects.get(SubjectKind.VISITOR)
        if visitor is None:
            yield ("visitor_log",), "a visitor log needs visitors", "a 'subjects.visitor' section"
        else:
            names = {item.field for item in visitor.data}
            for i, field in enumerate(policy.visitor_log.fields):
                if field.value not in names:
                    yield (
                        ("visitor_log", "fields", i),
                        f"'{field.value}' is logged but not declared as visitor data",
                        f"an entry with field: {field.value} under subjects.visitor.data",
                    )

    names = Counter(cookie.name for cookie in policy.cookies)
    for i, cookie in enumerate(policy.cookies):
        if names[cookie.name] > 1:
            yield ("cookies", i, "name"), f"cookie '{cookie.name}' is declared twice", "unique"
        yield from purpose(("cookies", i, "purpose"), cookie.purpose)

    keys = Counter(r.key for r in policy.recipients)
    for i, recipient in enumerate(policy.recipients):
        if keys[recipient.key] > 1:
            yield ("recipients", i, "key"), f"recipient '{recipient.key}' is twice", "unique"
        for j, key in enumerate(recipient.categories):
            yield from category(("recipients", i, "categories", j), key)
        if (recipient.categories or recipient.aggregates_only) and not recipient.grounds:
            yield (
                ("recipients", i),
                f"'{recipient.key}' receives data on no grounds",
                "a 'grounds' list saying why it may receive it",
            )

    for i, rule in enumerate(policy.prohibitions):
        for j, key in enumerate(rule.categories):
            yield from category(("prohibitions", i, "categories", j), key)
        for j, key in enumerate(rule.uses):
            yield from use(("prohibitions", i, "uses", j), key)

    if policy.communications is not None:
        yield from category(("communications", "category"), policy.communications.category)
        hosted = policy.communications.hosted_data
        if hosted is not None:
            yield from category(("communications", "hosted_data", "category"), hosted.category)

    recipient_keys = set(keys)
    contacts = policy.provider.contacts
    for i, choice in enumerate(policy.choices):
        for j, key in enumerate(choice.uses):
            yield from purpose(("choices", i, "uses", j), key)
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

    seen = Counter(policy.promises)
    for i, promise_id in enumerate(policy.promises):
        if seen[promise_id] > 1:
            yield ("promises", i), f"promise '{promise_id}' is listed twice", "each ID once"


def _custom_categories(policy: Policy) -> Iterator[Finding]:
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
