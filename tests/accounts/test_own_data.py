"""The account in the normal course of service, and the customer's own data:
see it, correct it, take it away, erase it (ACC-3, ACC-7, ACC-8)."""

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils.html import escape
from factories import ADA, GRACE, SYSTEM, billed, card_form
from scan import tables_holding
from tests_paths import use_profile

from hippocratic.accounts import own_data, services, throttling
from hippocratic.accounts.models import AccountEvent, Customer, Subscription
from hippocratic.billing import services as billing
from hippocratic.billing.models import Invoice, PaymentMethod, SandboxLedgerEntry
from hippocratic.billing.processors import CardDetails
from hippocratic.enforcement import audit
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.gateway import purpose_for
from hippocratic.enforcement.models import AuditEntry, OptOut
from hippocratic.policy.reasons import Reason
from hippocratic.purposes import Purpose

pytestmark = pytest.mark.django_db
PROFILES = ("dracon", "isp", "japoon", "quality", "ducallier")
VISA = CardDetails("4242424242424242", 12, 2031, "123")


def log_kinds(customer: int) -> list[str]:
    rows = AccountEvent.objects.for_purpose(SYSTEM, purpose_for(AccountEvent))
    return list(rows.filter(customer_id=customer).order_by("pk").values_list("kind", flat=True))


@pytest.mark.promise("ACC-3")
@pytest.mark.parametrize("name", PROFILES)
def test_status_services_and_the_customer_log_are_kept(name, signed_up, hosting):
    with use_profile(name):
        client, me = signed_up()
        assert services.own_customer(me).status == "active"
        paying = billing.payments_enabled()
        if paying:  # a paid service starts only with a card on file
            client.post("/account/services/subscribe/", {"service": hosting.pk})
            assert not Subscription.objects.for_purpose(SYSTEM, "essential.service").exists()
            client.post("/account/billing/card/", card_form())
        assert (
            client.post("/account/services/subscribe/", {"service": hosting.pk}).status_code == 302
        )
        mine = Subscription.objects.for_purpose(Actor.for_customer(me), "essential.service")
        subscription = mine.get()
        assert (subscription.service_id, subscription.status) == (hosting.pk, "active")
        path = f"/account/services/{subscription.pk}/discontinue/"
        assert client.post(path).status_code == 302
        assert mine.get().status == "discontinued" and mine.get().ended_at is not None
        card = ["card_added"] if paying else []
        assert log_kinds(me) == ["signed_up", *card, "subscribed", "discontinued"]


@pytest.mark.promise("ACC-7")
@pytest.mark.parametrize("name", ["japoon", "ducallier"])
def test_the_customer_sees_and_corrects_every_field(name, signed_up):
    with use_profile(name):
        client, me = signed_up()
        page = client.get("/account/data/").content.decode()
        form = client.get("/account/profile/").context["form"]
        for field in form.fields:
            assert escape(ADA[field]) in page, field  # every field they gave is shown
        corrected = {f: ADA[f] for f in form.fields} | {"address": "1 Dorset Street, London"}
        assert client.post("/account/profile/", corrected).status_code == 302
        assert services.own_customer(me).address == "1 Dorset Street, London"
        assert "profile_changed" in log_kinds(me)


@pytest.mark.promise("ACC-7")
def test_the_export_holds_everything_about_the_customer(signed_up, hosting):
    with use_profile("ducallier"):
        client, me = signed_up()
        billing.add_card(Actor.for_customer(me), me, VISA, {"billing_name": "A. Lovelace"})
        client.post("/account/services/subscribe/", {"service": hosting.pk})
        invoice = billed(me)
        OptOut.objects.create(
            subject="customer", subject_id=me, use="marketing.communications.email"
        )
        audit.append(
            actor=Actor("staff.legal", "user:1:legal"), action=Action.DISCLOSE,
            purpose="essential.legal_obligation", reason=Reason.ALLOWED, subject="customer",
            subject_ref=str(me), categories=["user.name"], allowed=True,
            rule="recipients.authorities",
        )  # fmt: skip
        response = client.get("/account/data/export.json")
        assert response["Content-Disposition"].startswith("attachment")
        held = json.loads(response.content)
        given = {k: v for k, v in ADA.items() if k != "domain_name"}  # Ducallier asks no domain
        assert {k: held["customer"][k] for k in given} == given
        assert held["customer"]["username"] == "ada"
        sections = held["sections"]
        assert [s["status"] for s in sections["subscriptions"]] == ["active"]
        assert {e["kind"] for e in sections["customer_log"]} >= {"signed_up", "subscribed"}
        assert sections["payment_methods"][0]["last4"] == "4242"
        assert sections["invoices"][0]["total"] == invoice.total > 0
        assert held["consents"][0]["use"] == "marketing.communications.email"
        assert held["disclosures"][0]["categories"] == ["user.name"]
        assert "exported" in log_kinds(me)


@pytest.mark.promise("ACC-8")
def test_erasure_leaves_nothing_but_the_marked_billing_records(signed_up, hosting):
    with use_profile("japoon"):
        client, me = signed_up("countess_ada")  # a user name no hex digest can hold
        other, _ = signed_up("grace", GRACE)
        client.post("/account/profile/", {f: ADA[f] for f in ("name", "address", "phone",
                    "domain_name", "email")} | {"phone": "+44 20 7946 0020"})  # fmt: skip
        card = billing.add_card(
            Actor.for_customer(me), me, VISA,
            {"billing_name": ADA["name"], "billing_address": ADA["address"]},
        )  # fmt: skip
        client.post("/account/services/subscribe/", {"service": hosting.pk})
        billed(me)
        OptOut.objects.create(
            subject="customer", subject_id=me, use="marketing.communications.email"
        )
        stranger = Client()
        stranger.get("/account/login/")
        stranger.post("/account/login/", {"username": "countess_ada", "password": "wrong"})
        failed = throttling.pseudonym_of("countess_ada")
        assert tables_holding(failed) == ["axes_accessattempt.username"]  # axes noted it
        client.get("/account/data/")  # reads, audited

        page = client.post("/account/erase/", {"confirm": "ERASE"})
        assert page.status_code == 200 and "erased" in page.content.decode()

        retained = {"billing_invoice", "billing_chargeattempt"}
        identifiers = [*ADA.values(), "+44 20 7946 0020", "countess_ada", card.processor_token,
                       failed]  # fmt: skip
        for text in identifiers:
            if text in (ADA["company"], ADA["title"], ADA["department"], ADA["fax"]):
                continue  # japoon never asked for these
            found = tables_holding(text, skip=lambda table, column: table in retained)
            assert found == [], (text, found)
        assert not User.objects.filter(username="countess_ada").exists()
        assert client.get("/account/").status_code == 302  # the session ended too
        # The billing records the law requires stay, marked, and name no one else.
        kept = Invoice.objects.for_purpose(SYSTEM, Purpose.PAYMENT).get()
        assert kept.retained_since is not None and kept.billing_name == ADA["name"]
        # The card's token is not kept: it was detached at the processor, then deleted.
        assert not PaymentMethod.objects.for_purpose(SYSTEM, Purpose.PAYMENT).exists()
        assert SandboxLedgerEntry.objects.filter(kind="detach").count() == 1
        ghost = Customer.objects.for_purpose(SYSTEM, "essential.service").get(pk=me)
        assert ghost.status == "erased" and ghost.name == "" and ghost.user_id is None
        # Grace is untouched, and the audit log still verifies.
        assert other.get("/account/data/").status_code == 200
        assert audit.verify().ok
        assert AuditEntry.objects.filter(action="erase", promise="ACC-8").count() == 1


@pytest.mark.promise("ACC-8")
def test_erasure_without_billing_records_deletes_the_customer_row(signed_up):
    with use_profile("japoon"):
        _, me = signed_up()
        counts = own_data.erase(me, by=Actor.for_customer(me))
        assert counts["AccountEvent"] == 1
        assert not Customer.objects.for_purpose(SYSTEM, "essential.service").filter(pk=me).exists()


@pytest.mark.promise("ACC-8")
def test_erasure_needs_the_typed_confirmation_and_a_policy_that_offers_it(signed_up):
    with use_profile("japoon"):
        client, me = signed_up()
        assert client.post("/account/erase/", {"confirm": "yes"}).status_code == 200
        assert services.own_customer(me).status == "active"
    with use_profile("dracon"):
        client, _ = signed_up("grace", GRACE)
        assert client.get("/account/erase/").status_code == 404


def test_the_data_page_names_things_in_the_policys_words(signed_up):
    with use_profile("ducallier"):
        client, _ = signed_up()
        page = client.get("/account/data/").content.decode()
    assert "E-mail address" in page and "Customer log" in page and "Customer since" in page
    assert "created_at" not in page and "Customer_log" not in page and "email</dt>" not in page
