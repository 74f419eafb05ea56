"""A customer's own request runs as that customer, never as the system: every
audit entry their requests leave names them (or their login, or the newcomer
signing up), and a subject actor reads no one's rows but their own."""

import ast

import pytest
from django.contrib.auth.models import User
from django.test import Client
from factories import ADA, GRACE, card_form
from tests_paths import REPO, use_profile

from hippocratic.accounts.models import Customer, Prospect, Subscription
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.gateway import AccessDenied
from hippocratic.enforcement.models import AuditEntry

pytestmark = pytest.mark.django_db

# Page views are written by the tracking buffer, in the background, not by a request;
# the fixtures look customers up as the test harness.
BACKGROUND = ("task:tracking.record", "task:tests")


@pytest.mark.promise("ACC-9")
def test_a_customers_requests_leave_no_system_entry(signed_up, hosting):
    with use_profile("ducallier"):
        client, me = signed_up("ada", ADA, account="organisation")
        client.post("/account/profile/", {**ADA, "phone": "+44 20 7946 0000"})
        client.post("/account/billing/card/", card_form())
        client.post("/account/services/subscribe/", {"service": hosting.pk})
        assert client.post("/account/organisation/").context["members"] == 1
        for page in ("/account/", "/account/data/", "/account/data/export.json"):
            assert client.get(page).status_code == 200, page
        Client().post("/account/inquiry/", {"name": "Someone", "email": "s@example.com"})
    entries = AuditEntry.objects.exclude(actor__in=BACKGROUND)
    assert entries.filter(role="system").count() == 0
    assert set(entries.values_list("actor", flat=True)) <= {
        f"customer:{me}",
        "sign-up",
        "inquiry",
        f"login:{User.objects.get(username='ada').pk}",
    }


def test_a_login_sees_only_the_customer_row_that_names_it(signed_up):
    with use_profile("ducallier"):
        client, me = signed_up("ada", ADA)
        signed_up("grace", GRACE)
        user = client.get("/account/").wsgi_request.user
        rows = Customer.objects.for_purpose(Actor.for_login(user), "essential.service")
        assert list(rows.values_list("pk", flat=True)) == [me]


def test_newcomers_and_inquirers_read_nothing(signed_up):
    with use_profile("ducallier"):
        signed_up("ada", ADA)
        Client().post("/account/inquiry/", {"name": "Someone", "email": "s@example.com"})
        assert not Customer.objects.for_purpose(Actor.newcomer(), "essential.service").exists()
        prospects = Prospect.objects.for_purpose(Actor.inquirer(), "marketing.communications.email")
        assert not prospects.exists()
        with pytest.raises(AccessDenied, match="not_own_rows"):  # a prospect is no customer
            Subscription.objects.for_purpose(Actor.inquirer(), "essential.service").exists()


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_accounts_does_not_import_billing_and_own_data_does_not_import_services():
    accounts = REPO / "src" / "hippocratic" / "accounts"
    for path in accounts.rglob("*.py"):
        assert not any(m.startswith("hippocratic.billing") for m in _imports(path)), path
    assert "hippocratic.accounts.services" not in _imports(accounts / "own_data.py")
