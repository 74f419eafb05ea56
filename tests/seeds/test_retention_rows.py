"""Issue 31: the retention table says what erasure does. A row the page marks as kept
because the law requires it must be one erasure keeps; card tokens are not (erasure
detaches and deletes them), so no profile says they are kept for seven years."""

import pytest
from tests_paths import POLICIES, PROFILES

from hippocratic.accounts.own_data import customer_models
from hippocratic.capabilities import enforced
from hippocratic.enforcement.fields import category_of
from hippocratic.policy import load_policy
from hippocratic.policy.render import to_html


def _models_holding(category: str) -> list:
    return [
        m for m in customer_models()
        if any(category_of(f) == category for f in m.personal_fields())
    ]  # fmt: skip


@pytest.mark.promise("ACC-8")
@pytest.mark.parametrize("name", PROFILES)
def test_every_row_kept_by_law_is_one_erasure_keeps(name):
    policy = load_policy(POLICIES / f"{name}.yaml").policy
    for kind, item in policy.data_items():
        if kind != "customer" or not (item.retention and item.retention.legally_required):
            continue
        keeping = [m for m in _models_holding(item.category) if hasattr(m, "retained_since")]
        assert keeping, f"{name}: {item.label} is marked kept by law, but erasure deletes it"


@pytest.mark.promise("PAY-1")
@pytest.mark.parametrize("name", ["japoon", "isp", "quality", "ducallier"])
def test_card_tokens_are_not_said_to_outlive_erasure_or_kept_seven_years(name):
    policy = load_policy(POLICIES / f"{name}.yaml").policy
    card = next(i for k, i in policy.data_items() if i.category == "user.financial.credit_card")
    assert not card.retention.legally_required
    assert card.retention.days < 2555
    page = to_html(policy, enforced=enforced())
    row = page[page.index(card.label.replace("'", "&#x27;"), page.index("Kept for")) :][:300]
    assert "7 years" not in row and "kept even if" not in row
