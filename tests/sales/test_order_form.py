"""The order-form cookie (CK-2): what a visitor types on a product's landing page is
kept in a declared cookie, then forwarded to the sales records when the order is
placed, and the cookie is deleted."""

import pytest
from django.test import Client
from factories import ADA, GRACE, SYSTEM, customer_id, sign_up, staff_user
from tests_paths import use_profile

from hippocratic.enforcement.models import AuditEntry
from hippocratic.sales.models import Order

pytestmark = pytest.mark.django_db
TYPED = {"name": "Ada Lovelace", "address": "12 St James's Square", "phone": "+44 20 7946 0018"}


@pytest.mark.promise("CK-2")
@pytest.mark.parametrize("profile", ["dracon", "quality"], indirect=True)
def test_what_a_visitor_types_is_kept_in_the_cookie_then_forwarded(hosting, profile):
    visitor = Client()
    page = visitor.get("/products/hosting/")
    assert page.status_code == 200 and not page.cookies.get("order_form")
    kept = visitor.post("/products/hosting/", {**TYPED, "keep": "1"})
    cookie = kept.cookies["order_form"]
    assert cookie["max-age"] == 86400 and cookie["httponly"]  # the policy's one day
    assert "Ada" not in cookie.value or ":" in cookie.value  # signed, compressed
    assert not Order.objects.for_purpose(SYSTEM, "sales").exists()  # nothing stored yet
    again = visitor.get("/products/hosting/").content.decode()
    assert 'value="Ada Lovelace"' in again  # the form comes back as typed
    placed = visitor.post("/products/hosting/", {**TYPED, "order": "1"})
    assert placed.status_code == 200
    assert placed.cookies["order_form"]["max-age"] == 0  # deleted once forwarded
    order = Order.objects.for_purpose(SYSTEM, "sales").get()
    assert (order.name, order.phone, order.service.code) == (
        TYPED["name"],
        TYPED["phone"],
        "hosting",
    )
    entry = AuditEntry.objects.filter(action="create", purpose="sales").get()
    assert entry.actor == "order-form" and entry.allowed
    # An altered cookie is ignored, never trusted.
    visitor.cookies["order_form"] = "eyJuYW1lIjoiRXZlIn0:forged:sig"
    assert "Eve" not in visitor.get("/products/hosting/").content.decode()


@pytest.mark.promise("CK-2")
@pytest.mark.parametrize("profile", ["ducallier", "isp", "japoon"], indirect=True)
def test_profiles_without_the_order_form_cookie_have_no_landing_form(hosting, profile):
    assert Client().get("/products/hosting/").status_code == 404


@pytest.mark.promise("CK-5")
def test_an_affiliate_cookie_only_when_accepted_for_the_session_and_credited_at_sign_up():
    from hippocratic.sales.models import Affiliate, Referral

    with use_profile("ducallier"):
        Affiliate.objects.create(code="acme", name="Acme Hosting Reviews",
                                 partner="referral_partners")  # fmt: skip
        asked = Client()
        page = asked.get("/go/acme/")
        assert page.status_code == 200 and "Acme Hosting Reviews" in page.content.decode()
        assert (
            "affiliate" not in page.cookies
        )  # asking sets no affiliate cookie (only the form's CSRF token)
        declined = asked.post("/go/acme/", {"accept": "0"})
        assert "affiliate" not in declined.cookies
        visitor = Client()
        accepted = visitor.post("/go/acme/", {"accept": "1"})
        morsel = accepted.cookies["affiliate"]
        assert morsel["max-age"] == "" and morsel["expires"] == ""  # this browser session
        assert morsel["httponly"]
        sign_up(visitor, "ada", ADA)
        referral = Referral.objects.for_purpose(SYSTEM, "essential.service").get()
        assert referral.affiliate.code == "acme"
        # Who declined (or forged a cookie) credits no one.
        asked.cookies["affiliate"] = "acme"
        sign_up(asked, "grace", GRACE)
        assert Referral.objects.for_purpose(SYSTEM, "essential.service").count() == 1


@pytest.mark.promise("CK-5")
@pytest.mark.parametrize("profile", ["dracon", "isp", "japoon", "quality"], indirect=True)
def test_profiles_without_the_affiliate_cookie_have_no_affiliate_links(profile):
    from hippocratic.sales.models import Affiliate

    Affiliate.objects.create(code="acme", name="Acme")
    assert Client().get("/go/acme/").status_code == 404


@pytest.mark.promise("DIS-4")
def test_referral_partners_get_their_joint_customers_and_never_business_data():
    from hippocratic.disclosure import services
    from hippocratic.sales.models import Affiliate

    with use_profile("ducallier"):
        Affiliate.objects.create(code="acme", name="Acme", partner="referral_partners")
        referred = Client()
        referred.post("/go/acme/", {"accept": "1"})
        sign_up(referred, "ada", ADA)
        sign_up(Client(), "grace", GRACE)
        ada, grace = customer_id("ada"), customer_id("grace")
        clerk = staff_user("staff.legal", "rex")
        with pytest.raises(services.DisclosureRefused, match="category_not_for_recipient"):
            services.record(kind="partner", recipient="referral_partners",
                            ground="joint_customer", reference="Referral agreement",
                            customer_ids=[ada], by=clerk,
                            categories=["user.content.private.business_data"])  # fmt: skip
        import json

        from factories import billed, card_form, running_since

        def share():
            return services.record(
                kind="partner", recipient="referral_partners", ground="joint_customer",
                reference="Referral agreement", customer_ids=[ada, grace], by=clerk,
                categories=["user.name", "user.contact.phone_number", "user.account"],
            )  # fmt: skip

        # Issue 31: signed up through the partner but not yet paying: not a joint customer.
        unpaid = json.loads(services.approve(share().pk, by=clerk))
        assert unpaid["customers"] == []
        referred.post("/account/billing/card/", card_form())
        running_since(ada)
        assert billed(ada).paid_at is not None
        sent = json.loads(services.approve(share().pk, by=clerk))
        assert [row["pk"] for row in sent["customers"]] == [ada]  # Grace came by herself
        assert set(sent["customers"][0]) == {"pk", "name", "phone", "status", "membership"}

        from hippocratic.disclosure.models import Disclosure

        manifest = Disclosure.objects.latest("pk").manifest
        assert manifest["refused"] == {str(grace): "not_their_customer"}
        (entry,) = AuditEntry.objects.filter(action="disclose")
        assert (entry.subject_ref, entry.promise) == (str(ada), "DIS-4")
