"""Each rule of the reference checks catches what it is named for, and only it does.

Every case breaks minimal.yaml in one way; the rule it is listed under must find
it and every other rule must stay silent, so a rule that starts catching its
neighbour's mistakes (or stops catching its own) fails here. The exact messages
are pinned by test_bad_files.py.
"""

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from hippocratic.policy import references
from hippocratic.policy.models import Policy
from hippocratic.policy.references import RULES, Rule, check_references

MINIMAL = yaml.safe_load((Path(__file__).parent / "minimal.yaml").read_text())


def _set(*path: str | int, to) -> Callable[[dict], None]:
    """Set the value at a key path: _set("visitor_log", "fields", to=[...])."""

    def change(data: dict) -> None:
        *parents, last = path
        for key in parents:
            data = data[key]
        data[last] = to

    return change


def _drop_visitors(data: dict) -> None:
    del data["subjects"]["visitor"]


# user.name is a default category: a custom entry may not declare it again.
CUSTOM = {"fides_key": "user.name", "parent_key": "user", "name": "N", "description": "d"}
COOKIE = {"name": "session", "description": "d", "optional": False, "subjects": ["customer"]}
RECIPIENT = {"key": "bank", "kind": "payment_processor", "name": "Bank", "description": "d"}
BAN = {"categories": ["user.name"], "statement": "s"}
CHOICE = {"key": "ask", "kind": "question", "name": "Ask", "subjects": ["customer"]}
QUESTIONS = {"kind": "email", "contact": "privacy_questions"}  # a contact minimal.yaml lacks

# Each rule, and a change to minimal.yaml that breaks it alone.
BREAKS: dict[Rule, Callable[[dict], None]] = {
    references.custom_categories_refine_known_ones: _set(
        "taxonomy", to={"data_categories": [CUSTOM]}
    ),
    references.purposes_are_known_uses: _set(
        "purposes", "essential.service", "requires", to=["user.nothing"]
    ),
    references.subject_data_is_declared: _set(
        "subjects", "customer", "data", 0, "category", to="user.nothing"
    ),
    references.visitor_log_has_visitors: _drop_visitors,
    references.logged_fields_are_visitor_data: _set(
        "visitor_log", "fields", to=["isp_domain", "path"]
    ),
    references.cookies_are_declared_once_for_a_purpose: _set(
        "cookies", to=[{**COOKIE, "purpose": "nothing.declared"}]
    ),
    references.recipients_are_declared_once_on_grounds: _set(
        "recipients",
        to=[{**RECIPIENT, "categories": ["user.name"]}],  # on no grounds
    ),
    references.prohibitions_name_known_keys: _set(
        "prohibitions", to=[{**BAN, "uses": ["nothing.known"]}]
    ),
    references.communications_categories_are_known: _set(
        "communications", to={"category": "user.nothing"}
    ),
    references.choices_name_what_exists: _set("choices", to=[{**CHOICE, "channels": [QUESTIONS]}]),
    references.promises_are_listed_once: _set("promises", to=["VIS-1", "ACC-1", "PAY-3", "VIS-1"]),
}


def broken(rule: Rule) -> Policy:
    data = copy.deepcopy(MINIMAL)
    BREAKS[rule](data)
    return Policy.model_validate(data)


def test_every_rule_has_a_case():
    assert list(BREAKS) == list(RULES)


def test_the_minimal_policy_breaks_no_rule():
    assert check_references(Policy.model_validate(MINIMAL)) == []


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_each_rule_catches_the_policy_that_breaks_only_it(rule):
    policy = broken(rule)
    assert [r.__name__ for r in RULES if list(r(policy))] == [rule.__name__]
    assert check_references(policy) == list(rule(policy))
