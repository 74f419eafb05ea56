"""A customer with a bit of everything, for the walks over every page."""

import pytest
from factories import GRACE, SYSTEM, billed, card_form

from hippocratic.accounts.models import Subscription


@pytest.fixture
def grace(signed_up, hosting):
    """A customer with a bit of everything, and the values that would betray a leak."""
    client, me = signed_up("grace_hopper", GRACE)
    client.post("/account/billing/card/", card_form("5555555555554444"))
    client.post("/account/services/subscribe/", {"service": hosting.pk})
    billed(me)
    subscription = Subscription.objects.for_purpose(SYSTEM, "essential.service").get().pk
    secrets_ = [GRACE["name"], GRACE["email"], GRACE["phone"], GRACE["address"], "4444",
                "grace_hopper"]  # fmt: skip
    return client, me, subscription, secrets_
