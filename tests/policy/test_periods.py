import pytest
from tests_paths import POLICIES

from hippocratic.policy import load_policy
from hippocratic.policy.linter import lint
from hippocratic.policy.periods import parse_business_days


@pytest.mark.promise("POL-5")
def test_thirty_written_as_ten_is_flagged_and_the_longer_notice_applies():
    notice = parse_business_days("at least thirty (10) business days")
    assert notice.readings == (30, 10)
    assert notice.contradictory is True
    assert notice.days == 30


@pytest.mark.promise("POL-5")
def test_ducallier_policy_is_linted_for_its_notice_contradiction():
    loaded = load_policy(POLICIES / "ducallier.yaml")
    flagged = [i for i in lint(loaded) if i.promise == "POL-5"]
    assert len(flagged) == 1
    assert "the stricter reading, 30, applies" in flagged[0].problem
    assert loaded.policy.changes.notice.days == 30


@pytest.mark.parametrize(
    ("text", "days"),
    [
        (10, 10),
        ("10 business days", 10),
        ("ten business days", 10),
        ("twenty-one business days", 21),
        ("at least fifteen (15) business days", 15),
    ],
)
def test_consistent_periods(text, days):
    period = parse_business_days(text)
    assert (period.days, period.contradictory) == (days, False)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("soon", "'soon' is not a period in business days, expected a number or a phrase"),
        ("thirty days", "is not a period in business days"),
        ("eleventy business days", "is not a period in business days"),
        (-3, "-3 is negative"),
        (True, "a yes/no value is not a period"),
    ],
)
def test_not_a_period(value, message):
    with pytest.raises(ValueError, match=message):
        parse_business_days(value)
