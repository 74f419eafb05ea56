"""One test per reason code, each asserting the exact code (and promise where there is one)."""

import pytest
from tests_paths import POLICIES

from hippocratic.policy import load_policy
from hippocratic.policy.decision import DEFAULT_ROLES, Engine
from hippocratic.policy.reasons import EXPLANATIONS, Reason


@pytest.fixture(scope="module")
def ducallier():
    return Engine(load_policy(POLICIES / "ducallier.yaml").policy)


@pytest.fixture(scope="module")
def dracon():
    return Engine(load_policy(POLICIES / "dracon.yaml").policy)


def test_allowed(ducallier):
    d = ducallier.decide("staff.support", "essential.service", ["user.name"], "customer")
    assert (d.allowed, d.reason) == (True, Reason.ALLOWED)


def test_narrower_purpose_is_within_a_listed_broader_one(ducallier):
    d = ducallier.decide(
        "staff.support", "essential.service.operations.support", ["user.name"], "customer"
    )
    assert d.reason is Reason.ALLOWED


def test_unknown_actor(ducallier):
    d = ducallier.decide("intern", "essential.service", ["user.name"], "customer")
    assert (d.allowed, d.reason) == (False, Reason.UNKNOWN_ACTOR)


def test_purpose_not_declared(ducallier):
    d = ducallier.decide("system", "train_ai_system", ["user.name"], "customer")
    assert d.reason is Reason.PURPOSE_NOT_DECLARED


def test_subject_not_declared(dracon):
    d = dracon.decide("system", "essential.service", ["user.name"], "prospect")
    assert d.reason is Reason.SUBJECT_NOT_DECLARED


def test_category_not_collected(dracon):
    """Dracon collects contact information only: no card data can even be read."""
    d = dracon.decide("system", "essential.service", ["user.financial.credit_card"], "customer")
    assert d.reason is Reason.CATEGORY_NOT_COLLECTED


@pytest.mark.promise("PAY-2")
@pytest.mark.parametrize("role", ["staff.admin", "system", "staff.marketing"])
def test_billing_data_is_never_read_for_marketing_even_by_staff(ducallier, role):
    d = ducallier.decide(
        role, "marketing.communications.email", ["user.financial.credit_card"], "customer"
    )
    assert (d.allowed, d.reason, d.promise) == (False, Reason.PROHIBITED_USE, "PAY-2")
    assert d.rule == "prohibitions[0]"


@pytest.mark.promise("ACC-4")
def test_customer_data_serves_only_its_declared_purposes(ducallier):
    """The phone number is listed for service and support, not for promotions."""
    d = ducallier.decide(
        "staff.marketing", "marketing.communications.email", ["user.contact.phone_number"],
        "customer",
    )  # fmt: skip
    assert (d.reason, d.promise) == (Reason.PURPOSE_NOT_ALLOWED, "ACC-4")


@pytest.mark.promise("VIS-5")
@pytest.mark.parametrize("purpose", ["essential.service", "marketing.communications.email"])
def test_visitor_data_serves_traffic_analysis_only(ducallier, purpose):
    d = ducallier.decide("system", purpose, ["user.behavior.browsing_history"], "visitor")
    assert (d.allowed, d.reason, d.promise) == (False, Reason.PURPOSE_NOT_ALLOWED, "VIS-5")
    ok = ducallier.decide(
        "staff.analytics", "analytics.reporting.content_performance",
        ["user.behavior.browsing_history"], "visitor",
    )  # fmt: skip
    assert ok.allowed


def test_role_not_permitted(ducallier):
    d = ducallier.decide(
        "staff.billing", "essential.service.operations.support", ["user.name"], "customer"
    )
    assert d.reason is Reason.ROLE_NOT_PERMITTED


def test_subject_opted_out(ducallier):
    d = ducallier.decide(
        "staff.marketing", "marketing.communications.email", ["user.contact.email"], "customer",
        opted_out=["marketing"],
    )  # fmt: skip
    assert (d.allowed, d.reason) == (False, Reason.SUBJECT_OPTED_OUT)


def test_engine_error_denies(ducallier):
    d = ducallier.decide("system", "essential.service", [["user.name"]], "customer")  # type: ignore[list-item]
    assert (d.allowed, d.reason) == (False, Reason.ENGINE_ERROR)


@pytest.mark.parametrize(
    ("role", "purpose", "subject", "reason"),
    [
        ("intern", "essential.service", "customer", Reason.UNKNOWN_ACTOR),
        ("system", "train_ai_system", "customer", Reason.PURPOSE_NOT_DECLARED),
        ("system", "essential.service", "employee", Reason.SUBJECT_NOT_DECLARED),
        ("staff.billing", "marketing.communications.email", "customer",
         Reason.ROLE_NOT_PERMITTED),
    ],
)  # fmt: skip
def test_asking_for_no_category_still_checks_who_why_and_whom(
    ducallier, role, purpose, subject, reason
):
    """A query that reads only ids is not a way around deny-by-default."""
    d = ducallier.decide(role, purpose, [], subject)
    assert (d.allowed, d.reason) == (False, reason)
    assert ducallier.decide("staff.support", "essential.service", [], "customer").allowed


def test_limited_disclosure_names_the_refused_categories(ducallier):
    asked = ["user.name", "user.contact.email", "user.financial.credit_card"]
    d = ducallier.decide("staff.support", "essential.service", asked, "customer")
    assert d.allowed is False
    assert d.refused == {"user.financial.credit_card"}
    assert ducallier.allowed_categories(
        "staff.support", "essential.service", asked, "customer"
    ) == {
        "user.name",
        "user.contact.email",
    }


def test_every_reason_is_reachable_and_explained():
    """Each member of Reason is produced by one of the tests above and has its words."""
    assert set(EXPLANATIONS) == set(Reason)
    assert all(EXPLANATIONS[r].endswith(".") for r in Reason)


def test_default_roles_cover_the_staff_roles():
    assert {"system", "customer", "staff.support", "staff.billing"} <= set(DEFAULT_ROLES)
