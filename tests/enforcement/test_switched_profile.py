"""A profile switched over data it no longer allows (Dracon's policy over Ducallier's
data: e-mail addresses, cards, prospects): start-up says so plainly and names the way
out, the customer still sees all that is held, and retention removes it."""

import pytest
from django.test import Client
from factories import ADA
from scan import tables_holding
from tests_paths import use_profile

from hippocratic.accounts.models import Prospect
from hippocratic.billing import services as billing
from hippocratic.billing.processors import CardDetails
from hippocratic.enforcement import retention
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.conformance import stored_beyond_policy
from hippocratic.enforcement.gateway import decided_elsewhere
from hippocratic.provider import current_policy
from hippocratic.site.checks import stored_data_is_allowed

pytestmark = pytest.mark.django_db

VISA = CardDetails("4242424242424242", 12, 2031, "123")


@pytest.fixture
def ducallier_data(signed_up):
    with use_profile("ducallier"):
        client, me = signed_up("ada", ADA)
        billing.add_card(Actor.for_customer(me), me, VISA, {"billing_name": "A. Lovelace"})
        Client().post("/account/inquiry/", {"name": "Someone", "email": "some@one.example"})
    return client, me


def test_start_up_names_what_is_held_and_the_way_out(ducallier_data):
    with use_profile("ducallier"):
        assert stored_data_is_allowed(None) == []
    with use_profile("dracon"):
        (warning,) = stored_data_is_allowed(None)
    assert warning.id == "hippocratic.W003"
    assert "accounts.Customer.email: rows store user.contact.email" in warning.msg
    assert "accounts.Prospect.name" in warning.msg and "billing.PaymentMethod" in warning.msg
    assert "hippocratic policy conformance" in warning.hint
    assert "hippocratic retention --for-real" in warning.hint


@pytest.mark.promise("ACC-7")
def test_the_customer_still_sees_everything_held(ducallier_data):
    client, _ = ducallier_data
    with use_profile("dracon"):
        page = client.get("/account/data/").content.decode()
    assert "Held from before this policy" in page
    assert ADA["email"] in page and ADA["fax"] in page


def test_retention_removes_what_the_new_policy_does_not_collect(ducallier_data):
    client, _ = ducallier_data
    with use_profile("dracon"):
        planned = retention.purge()  # a dry run first: it changes nothing
        assert {(r.model, r.field) for r in planned} >= {
            ("Customer", "email"),
            ("Customer", "fax"),
            ("Prospect", "*"),
            ("PaymentMethod", "*"),
        }
        assert stored_beyond_policy(current_policy())
        retention.purge(for_real=True)
        assert stored_beyond_policy(current_policy()) == []
        assert stored_data_is_allowed(None) == []
        page = client.get("/account/data/").content.decode()
    assert "Held from before this policy" not in page
    assert tables_holding(ADA["email"]) == []
    assert tables_holding("4242") == []
    with decided_elsewhere():
        assert not Prospect.internal.exists()


def test_each_removal_is_audited_once(ducallier_data):
    from hippocratic.enforcement.models import AuditEntry

    with use_profile("dracon"):
        removals = retention.purge(for_real=True)
    entries = AuditEntry.objects.filter(actor=retention.ACTOR.label)
    assert entries.count() == len(removals)
    assert set(entries.values_list("rule", flat=True)) == {"not collected by this policy"}
