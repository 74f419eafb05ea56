"""Sign-up and profile forms built from the policy; organisations; prospects
(ACC-1, ACC-2, ACC-5, ACC-6)."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from factories import ADA, GRACE, PASSWORD, SYSTEM, customer_id, sign_up
from scan import tables_holding
from tests_paths import use_profile

from hippocratic.accounts import services
from hippocratic.accounts.models import Customer, Prospect
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.decided import decided_elsewhere
from hippocratic.enforcement.fields import category_of
from hippocratic.enforcement.gateway import AccessDenied
from hippocratic.provider import current_policy

pytestmark = pytest.mark.django_db
CONTACT = ("name", "email", "phone", "address", "company", "domain_name", "title", "department",
           "fax")  # fmt: skip
PROFILES = ("dracon", "isp", "japoon", "quality", "ducallier")


def asked_by_policy(points: set[str]) -> dict[str, bool]:
    """category -> required, for the customer's contact data the policy asks at `points`."""
    contact = {category_of(Customer._meta.get_field(n)) for n in CONTACT}
    return {
        item.category: item.required
        for item in current_policy().subjects["customer"].data
        if item.category in contact and points & {str(p) for p in item.collected_at}
    }


def stored(customer: int) -> dict:
    """The customer's row as the database holds it (SQL, below the gateway)."""
    with connection.cursor() as cursor, decided_elsewhere():
        cursor.execute(f"SELECT {', '.join(CONTACT)} FROM accounts_customer WHERE id = %s",  # noqa: S608
                       [customer])  # fmt: skip
        return dict(zip(CONTACT, cursor.fetchone(), strict=True))


@pytest.mark.promise("ACC-1")
@pytest.mark.parametrize("name", PROFILES)
def test_sign_up_asks_for_the_contact_fields_the_policy_names(name):
    with use_profile(name):
        form = Client().get("/account/sign-up/").context["form"]
        contact = {n: f for n, f in form.fields.items() if n in CONTACT}
        asked = {category_of(Customer._meta.get_field(n)): f.required for n, f in contact.items()}
        assert asked == asked_by_policy({"sign_up"})
        assert {"username", "password1", "password2"} <= set(form.fields)


@pytest.mark.promise("ACC-1")
@pytest.mark.parametrize("name", PROFILES)
def test_sign_up_keeps_what_was_asked_and_nothing_else(name, signed_up):
    with use_profile(name):
        asked = asked_by_policy({"sign_up"})
        unasked = [f for f in CONTACT if category_of(Customer._meta.get_field(f)) not in asked]
        _, me = signed_up(status="closed", **dict.fromkeys(unasked, "smuggled"))
        row = stored(me)
        for field in CONTACT:
            category = category_of(Customer._meta.get_field(field))
            assert row[field] == (ADA[field] if category in asked else ""), field
        assert services.own_customer(me).status == "active"
        assert User.objects.get(username="ada").check_password(PASSWORD)


@pytest.mark.promise("ACC-1")
def test_a_required_field_left_empty_is_refused_with_nothing_saved():
    with use_profile("dracon"):
        response = sign_up(Client(), "ada", {**ADA, "phone": ""})
        assert response.status_code == 200 and "phone" in response.context["form"].errors
        assert not User.objects.exists()


@pytest.mark.promise("ACC-2")
def test_additional_fields_are_optional_at_sign_up_and_in_the_profile(signed_up):
    with use_profile("ducallier"):
        without = {k: v for k, v in ADA.items() if k not in ("title", "department", "fax")}
        client, me = signed_up(person=without)
        form = client.get("/account/profile/").context["form"]
        for field in ("title", "department", "fax"):
            assert form.fields[field].required is False
        # Given later, then emptied again: both are accepted.
        data = {n: ADA.get(n, "") for n in form.fields}
        assert client.post("/account/profile/", data).status_code == 302
        assert client.post("/account/profile/", {**data, "fax": "", "title": ""}).status_code == 302
        row = stored(me)
        assert (row["fax"], row["title"], row["department"]) == ("", "", "Mathematics")


@pytest.mark.promise("ACC-5")
def test_an_organisation_has_several_users_each_with_their_own_login(signed_up):
    with use_profile("ducallier"):
        owner, owner_id = signed_up(account="organisation")
        page = owner.post("/account/organisation/")
        link = page.context["link"]
        assert link and page.context["members"] == 1
        colleague = Client()
        path = link.removeprefix("http://testserver")
        response = sign_up(colleague, "grace", GRACE, path=path)
        assert response.status_code == 302
        rows = Customer.objects.for_purpose(SYSTEM, "essential.service")
        owner_row, grace_row = rows.get(pk=owner_id), rows.get(pk=customer_id("grace"))
        assert owner_row.organisation_id == grace_row.organisation_id is not None
        assert (owner_row.membership, grace_row.membership) == ("owner", "member")
        assert owner.post("/account/organisation/").context["members"] == 2
        # Each sees their own details only (ACC-9 holds inside an organisation too).
        assert "Ada Lovelace" not in colleague.get("/account/data/").content.decode()


@pytest.mark.promise("ACC-5")
def test_a_forged_or_foreign_invitation_is_refused(signed_up):
    with use_profile("ducallier"):
        assert Client().get("/account/join/not-a-token/").status_code == 404
        member, _ = signed_up()  # an individual, not an owner
        assert member.post("/account/organisation/").status_code == 404
    with use_profile("isp"):  # no organisations where the policy does not make ACC-5
        form = Client().get("/account/sign-up/").context["form"]
        assert "account" not in form.fields


@pytest.mark.promise("ACC-6")
def test_prospects_are_kept_apart_from_customers():
    with use_profile("ducallier"):
        client = Client()
        form = client.get("/account/inquiry/").context["form"]
        assert set(form.fields) == {"name", "email", "company", "title"}
        sent = {"name": "Charles Babbage", "email": "charles@babbage.example", "company": ""}
        assert client.post("/account/inquiry/", sent).status_code == 200
        assert not User.objects.exists()
        customers = Customer.objects.for_purpose(SYSTEM, "essential.service")
        assert not customers.filter(name="Charles Babbage").exists()
        marketing = Actor("staff.marketing", "tests")
        prospects = Prospect.objects.for_purpose(marketing, "marketing.communications.email")
        assert list(prospects.values_list("name", flat=True)) == ["Charles Babbage"]
        # Customer purposes do not reach prospects, and no customer sees one.
        with pytest.raises(AccessDenied):
            list(Prospect.objects.for_purpose(Actor("staff.support", "t"), "essential.service"))
        # A customer whose id is the prospect's id still reads nothing of it.
        same_id = Actor.for_customer(prospects.get().pk)
        with pytest.raises(AccessDenied, match="not_own_rows"):
            list(Prospect.objects.for_purpose(same_id, "essential.service"))
        with pytest.raises(AccessDenied, match="not_own_rows"):
            Prospect.objects.for_purpose(same_id, "essential.service").values("id").exists()
    with use_profile("isp"):  # a policy with no prospects has no inquiry form
        assert Client().get("/account/inquiry/").status_code == 404


@pytest.mark.parametrize("field", ["address", "name", "company", "fax"])
def test_every_field_is_bounded_with_a_clear_error_and_nothing_saved(field):
    """A 1,000,000-character value is refused with a form error, not stored."""
    with use_profile("ducallier"):
        client = Client()
        response = sign_up(client, "mallory", {**ADA, field: "x" * 1_000_000})
        assert response.status_code == 200
        (error,) = response.context["form"].errors[field]
        assert error.startswith("Ensure this value has at most ") and "(it has 1000000)" in error
    assert not User.objects.filter(username="mallory").exists()
    assert tables_holding("x" * 1000) == []
