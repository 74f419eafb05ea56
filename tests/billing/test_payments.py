"""Payments through a processor (PAY-1, PAY-2, PAY-3)."""

import html
import logging

import pytest
from django.test import Client, RequestFactory, override_settings
from django.views.debug import ExceptionReporter
from factories import NUMBER, SYSTEM, billed, card_form, running_since
from scan import tables_holding
from tests_paths import use_profile

from billing.fake_stripe import FakeStripe
from hippocratic.billing import services as billing
from hippocratic.billing.logs import mask
from hippocratic.billing.models import ChargeAttempt, Invoice, PaymentMethod, SandboxLedgerEntry
from hippocratic.billing.processors import (
    CardDeclined,
    CardDetails,
    ChargeRequest,
    PaymentError,
    luhn_valid,
)
from hippocratic.billing.processors.sandbox import FAILS_WHEN_CHARGED, SandboxProcessor
from hippocratic.billing.processors.stripe_api import StripeProcessor
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.gateway import AccessDenied
from hippocratic.enforcement.models import AuditEntry
from hippocratic.purposes import Purpose

pytestmark = pytest.mark.django_db
DECLINED = "4000000000000002"
PAYING = ("isp", "japoon", "quality", "ducallier")


def assert_card_number_nowhere(number: str, logs: str, *pages: bytes):
    spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    for text in (number, spaced):
        assert tables_holding(text) == [], text  # every table, the audit log included
        assert text not in logs
        for page in pages:
            assert text.encode() not in page
    assert number not in str(list(AuditEntry.objects.values()))


@pytest.mark.promise("PAY-1")
@pytest.mark.parametrize("name", PAYING)
def test_the_card_goes_to_the_processor_and_only_its_token_is_kept(name, signed_up, caplog):
    caplog.set_level(logging.DEBUG)
    with use_profile(name):
        client, me = signed_up()
        page = client.get("/account/billing/card/")
        assert b'name="number"' in page.content
        response = client.post("/account/billing/card/", card_form())
        assert response.status_code == 302
        kept = PaymentMethod.objects.for_purpose(SYSTEM, Purpose.PAYMENT).values().get()
        assert kept["processor_token"].startswith("tok_sandbox_ok_")
        assert (kept["brand"], kept["last4"]) == ("visa", "4242")
        running_since(me)
        invoice = billed(me)
        assert invoice.processor_charge.startswith("ch_sandbox_")
        assert invoice.status == Invoice.Status.PAID and invoice.card_last4 == "4242"
        listing = client.get("/account/billing/")
        assert b"$15.00" in listing.content and b"cents" not in listing.content
        assert_card_number_nowhere(NUMBER, caplog.text, page.content, listing.content)


# Stripe's documented test cards, and what the customer is told for each.
REFUSED_AT_SETUP = {
    "4000000000000002": "Your card was declined.",
    "4000000000009995": "Your card has insufficient funds.",
    "4000000000000069": "Your card has expired.",
    "4000000000000127": "Your card's security code is incorrect.",
}


@pytest.mark.promise("PAY-1")
@pytest.mark.parametrize("name", PAYING)
def test_a_card_the_processor_refuses_is_not_added_and_the_customer_is_told_why(name, signed_up):
    with use_profile(name):
        client, _ = signed_up()
        attempts = [(n, {}, reason) for n, reason in REFUSED_AT_SETUP.items()]
        attempts += [
            (NUMBER, {"exp_month": 1, "exp_year": 2020}, "expiration date is in the past"),
            ("4242424242424241", {}, "card number is incorrect"),  # fails the Luhn check
            (NUMBER, {"cvc": "12"}, "security code is invalid"),
        ]
        for number, extra, reason in attempts:
            page = client.post("/account/billing/card/", card_form(number, **extra))
            assert page.status_code == 200, number
            text = page.content.decode()
            assert "The card was not added" in text and html.escape(reason) in text, number
            assert number not in text and card_form(number)["number"] not in text
        assert not PaymentMethod.objects.for_purpose(SYSTEM, Purpose.PAYMENT).exists()
        assert client.post("/account/billing/card/", card_form()).status_code == 302


@pytest.mark.promise("PAY-1")
def test_the_sandbox_charges_as_stripe_does_and_never_twice_for_one_key(signed_up):
    assert luhn_valid(NUMBER) and not luhn_valid("4242424242424241")
    sandbox = SandboxProcessor()
    failing = sandbox.add_card(CardDetails(FAILS_WHEN_CHARGED, 1, 2030, "123"), {})
    request = ChargeRequest(failing.token, 100, "usd", "INV-1", "INV-1/1")
    with pytest.raises(CardDeclined) as refused:
        sandbox.charge(request)
    assert refused.value.code == "card_declined"
    good = sandbox.add_card(CardDetails(NUMBER, 1, 2030, "123"), {})
    once = sandbox.charge(ChargeRequest(good.token, 100, "USD", "INV-2", "INV-2/1"))
    again = sandbox.charge(ChargeRequest(good.token, 100, "USD", "INV-2", "INV-2/1"))
    assert once == again and once.currency == "usd"  # the same charge, not a second one
    assert SandboxLedgerEntry.objects.filter(kind="charge", code="").count() == 1
    with pytest.raises(CardDeclined):
        SandboxProcessor(decline=True).charge(ChargeRequest(good.token, 1, "usd", "I", "I/9"))
    sandbox.detach(good.token)
    with pytest.raises(CardDeclined) as gone:
        sandbox.charge(ChargeRequest(good.token, 100, "usd", "INV-3", "INV-3/1"))
    assert gone.value.code == "resource_missing"


@pytest.mark.promise("PAY-1")
def test_the_stripe_adapter_against_a_fake_of_stripes_api(signed_up, caplog):
    caplog.set_level(logging.DEBUG)  # Stripe's client logs request bodies at DEBUG
    with FakeStripe("sk_test_fake") as stripe_api, use_profile("ducallier"):
        config = {"processor": "stripe", "api_key": "sk_test_fake", "api_base": stripe_api.url}
        with override_settings(HIPPOCRATIC_PAYMENTS=config):
            client, me = signed_up()
            refused = client.post("/account/billing/card/", card_form(DECLINED))
            assert b"Your card was declined." in refused.content  # refused at set-up
            assert client.post("/account/billing/card/", card_form()).status_code == 302
            kept = PaymentMethod.objects.for_purpose(SYSTEM, Purpose.PAYMENT).get()
            customer, method = kept.processor_token.split("/")
            assert method in stripe_api.cards and customer in stripe_api.customers
            assert (kept.brand, kept.last4, kept.processor) == ("visa", "4242", "stripe")
            running_since(me)
            invoice = billed(me)
            assert invoice.processor_charge.startswith("pi_") and invoice.total == 1500
            assert invoice.status == Invoice.Status.PAID
            charges = [k for (path, _), k in zip(stripe_api.requests, stripe_api.keys, strict=True)
                       if path == "/v1/payment_intents"]  # fmt: skip
            assert charges == [f"{invoice.number}/1"]  # under its idempotency key
            client.post("/account/billing/card/remove/")
            assert method in stripe_api.detached and customer not in stripe_api.customers
        with pytest.raises(PaymentError):  # a wrong key is a processor error, not a crash
            StripeProcessor(api_key="sk_wrong", api_base=stripe_api.url).add_card(
                CardDetails(NUMBER, 1, 2030, "123"), {}
            )
    assert stripe_api.requests[0][1]["card[number]"] == DECLINED  # it did reach "Stripe"
    assert "Post details" in caplog.text  # and Stripe's client logged the body, masked:
    assert_card_number_nowhere(NUMBER, caplog.text)
    assert_card_number_nowhere(DECLINED, caplog.text)


@pytest.mark.promise("PAY-1")
def test_error_reports_do_not_show_the_card(signed_up, monkeypatch):
    class Broken:
        name = "broken"

        def add_card(self, card, billing):
            raise RuntimeError("processor exploded")

    with use_profile("ducallier"):
        client, _ = signed_up()
        monkeypatch.setattr(billing, "current_processor", Broken)
        request = RequestFactory().post("/account/billing/card/", card_form())
        request.user, request.session = _user(), client.session
        request._dont_enforce_csrf_checks = True  # the view is called directly
        from hippocratic.billing.views import add_card

        with pytest.raises(RuntimeError) as crash:
            add_card(request)
        report = ExceptionReporter(request, crash.type, crash.value, crash.tb).get_traceback_text()
        assert "processor exploded" in report and "number = '*****" in report  # masked
        assert NUMBER not in report and "4242 4242" not in report


def _user():
    from django.contrib.auth.models import User

    return User.objects.get(username="ada")


def test_masking_leaves_other_numbers_alone():
    assert mask("card[number]=4242424242424242&amount=1500") == (
        "card[number]=[card number withheld]&amount=1500"
    )
    assert mask("order 123456789012 paid") == "order 123456789012 paid"  # not a card (Luhn)
    assert "4242" not in mask("paid with 4242 4242 4242 4242 today")


@pytest.mark.promise("PAY-2")
@pytest.mark.parametrize("name", PAYING)
def test_billing_records_are_read_only_for_billing(name, signed_up):
    with use_profile(name):
        client, me = signed_up()
        client.post("/account/billing/card/", card_form())
        running_since(me)
        billed(me)
        for model in (PaymentMethod, Invoice, ChargeAttempt):
            assert model.objects.for_purpose(Actor("staff.billing", "t"), Purpose.PAYMENT).count()
            for actor, purpose in [
                (Actor("staff.marketing", "t"), "marketing.communications.email"),
                (SYSTEM, "marketing.communications.email"),
                (Actor("staff.support", "t"), "essential.service"),
            ]:
                with pytest.raises(AccessDenied):
                    list(model.objects.for_purpose(actor, purpose))


@pytest.mark.promise("PAY-3")
def test_a_contact_only_provider_has_no_payment_forms(signed_up):
    with use_profile("dracon"):
        client, _ = signed_up()
        assert client.get("/account/billing/").status_code == 404
        assert client.get("/account/billing/card/").status_code == 404
        assert client.post("/account/billing/card/", card_form()).status_code == 404
        home = client.get("/account/").content.decode()
        assert "/account/billing/" not in home and "cc-number" not in home
        assert not billing.payments_enabled()
    with use_profile("quality"):
        assert billing.payments_enabled()
        assert Client().get("/account/billing/").status_code == 302  # exists: log in first


@pytest.mark.promise("PAY-1")
def test_the_console_log_masks_card_numbers_from_any_logger():
    import io

    from hippocratic.billing.logs import MaskCardNumbers

    console = next(
        h for h in logging.getLogger().handlers
        if any(isinstance(f, MaskCardNumbers) for f in h.filters)
    )  # fmt: skip
    stream = io.StringIO()
    old = console.setStream(stream)
    try:
        logging.getLogger("hippocratic.billing.somewhere").error("paid with %s", NUMBER)
    finally:
        console.setStream(old)
    assert (
        "paid with [card number withheld]" in stream.getvalue() and NUMBER not in stream.getvalue()
    )
