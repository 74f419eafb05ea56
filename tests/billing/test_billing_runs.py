"""Billing that bills (PAY-1, PAY-2, DIS-6): invoices each month, pro-rated, charged
through the processor once however often the run is repeated or killed, dunning by
mail, suspension after the last retry, refunds, and what the processor receives."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings
from django_tasks_db.models import DBTaskResult
from factories import (
    ADA,
    GRACE,
    NEXT_RUN,
    SYSTEM,
    billed,
    card_form,
    customer_id,
    hosting,
    running_since,
    sign_up,
)
from freezegun import freeze_time
from tests_paths import use_profile

from billing.fake_stripe import FakeStripe
from hippocratic.accounts.models import AccountEvent, Customer, Subscription
from hippocratic.billing import processors, refunds, runs
from hippocratic.billing import services as billing
from hippocratic.billing.models import ChargeAttempt, Invoice, PaymentTerms, SandboxLedgerEntry
from hippocratic.billing.periods import Period, days_used, prorated
from hippocratic.billing.processors.sandbox import SandboxProcessor
from hippocratic.billing.tasks import charge_customer
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.gateway import AccessDenied
from hippocratic.money import format_money
from hippocratic.purposes import Purpose

BACKUP_PRICE = 500
EXPIRES_NOVEMBER = {"exp_month": 11, "exp_year": 2026}


def invoices_of(customer_id: int) -> list[Invoice]:
    mine = Invoice.objects.for_purpose(SYSTEM, Purpose.PAYMENT).filter(customer_id=customer_id)
    return list(mine.order_by("period_start"))


def successful_charges(invoice: Invoice) -> int:
    """Charges the processor made for the invoice, from the processor's own books."""
    keys = [f"{invoice.number}/{n}" for n in range(1, 10)]
    return SandboxLedgerEntry.objects.filter(idempotency_key__in=keys, code="").count()


class WorkerKilled(BaseException):
    """Stands for SIGKILL between the processor's answer and our record of it: no
    except clause in the run catches it, as none could catch a kill."""


def kill_after_charging(monkeypatch, invoice_number: str):
    real = processors.current_processor()

    class Dying:
        name = real.name

        def charge(self, request):
            charge = real.charge(request)  # the processor has charged the card
            if request.invoice_number == invoice_number:
                raise WorkerKilled
            return charge

    monkeypatch.setattr(runs, "current_processor", Dying)


@pytest.mark.promise("PAY-2")
@pytest.mark.django_db(transaction=True)
def test_a_month_of_billing_two_customers_one_card_failing(monkeypatch):
    """October to January: Ada's card pays every month; Grace's card expires at the end
    of November, so December's run is declined, retried on the 4th, 6th and 8th with a
    mail each time, and then her service is suspended. A run killed mid-charge in
    January, then run again, charges Ada once."""
    backup = hosting(BACKUP_PRICE)
    with use_profile("ducallier"), freeze_time("2026-10-01 09:00:00"):
        ada, grace = Client(), Client()
        sign_up(ada, "ada", ADA)
        sign_up(grace, "grace", GRACE)
        ada_id, grace_id = customer_id("ada"), customer_id("grace")
        assert ada.post("/account/billing/card/", card_form()).status_code == 302
        card = card_form("5555555555554444", **EXPIRES_NOVEMBER)
        assert grace.post("/account/billing/card/", card).status_code == 302
        for client in (ada, grace):
            client.post("/account/services/subscribe/", {"service": hosting().pk})
    with use_profile("ducallier"):  # and a second service from the middle of October
        running_since(ada_id, dt.datetime(2026, 10, 16, 12, tzinfo=dt.UTC), service=backup)

    def run_at(moment: str):
        with use_profile("ducallier"), freeze_time(moment):
            report = runs.run()
            call_command("worker", "--batch", "--no-scheduler")  # the mails go out
            return report

    # November 1st: October's invoices, both paid; Ada's backup pro-rated 16 of 31 days.
    first = run_at("2026-11-01 06:00:00")
    assert (first.issued, first.paid, first.declined) == (2, 2, 0)
    october = invoices_of(ada_id)[0]
    assert october.total == 1500 + prorated(BACKUP_PRICE, Period(dt.date(2026, 10, 1),
                                            dt.date(2026, 11, 1)), 16) == 1500 + 258  # fmt: skip
    assert "(16 of 31 days)" in october.lines[1]["description"]
    assert run_at("2026-11-01 07:00:00").issued == 0  # the next hour's run issues nothing

    # December 1st: Grace's card has expired.
    december = run_at("2026-12-01 06:00:00")
    assert (december.issued, december.paid, december.declined) == (2, 1, 1)
    assert [m.to for m in mail.outbox] == [[GRACE["email"]]]
    assert "try again on December 4, 2026" in mail.outbox[0].body
    assert "expired" not in mail.outbox[0].subject and "$15.00" in mail.outbox[0].body
    # Hourly runs in between try nothing early; the retries come on the 4th, 6th, 8th.
    for day, hour in [(2, 6), (4, 5), (4, 6), (5, 6), (6, 6), (7, 6), (8, 6), (9, 6)]:
        run_at(f"2026-12-{day:02d} {hour:02d}:30:00")
    grace_november = invoices_of(grace_id)[-1]
    attempts = ChargeAttempt.objects.for_purpose(SYSTEM, Purpose.PAYMENT).filter(
        invoice_id=grace_november.pk
    )
    assert [a.created_at.day for a in attempts.order_by("attempt")] == [1, 4, 6, 8]
    assert {a.code for a in attempts} == {"expired_card"}
    assert grace_november.status == Invoice.Status.UNPAID
    assert [m.subject.split(":")[0] for m in mail.outbox] == [
        f"We could not take payment for invoice {grace_november.number}"] * 3 + [
        "Your services are suspended"]  # fmt: skip
    grace_services = Subscription.objects.for_purpose(SYSTEM, "essential.service").filter(
        customer_id=grace_id
    )
    assert set(grace_services.values_list("status", flat=True)) == {"suspended"}
    kinds = AccountEvent.objects.for_purpose(SYSTEM, "essential.service.operations.support")
    grace_log = list(kinds.filter(customer_id=grace_id).values_list("kind", flat=True))
    assert grace_log.count("charge_failed") == 3 and "suspended" in grace_log

    # January 1st: the run is killed right after the processor charged Ada, then rerun.
    number = f"INV-202612-{ada_id}"
    kill_after_charging(monkeypatch, number)
    with pytest.raises(WorkerKilled), use_profile("ducallier"), freeze_time("2027-01-01 06:00"):
        runs.run()
    monkeypatch.undo()
    killed = Invoice.objects.for_purpose(SYSTEM, Purpose.PAYMENT).get(number=number)
    assert killed.status != Invoice.Status.PAID  # we never heard the answer
    assert successful_charges(killed) == 1  # but the processor did charge
    rerun = run_at("2027-01-01 07:00:00")
    killed = Invoice.objects.for_purpose(SYSTEM, Purpose.PAYMENT).get(number=number)
    assert killed.status == Invoice.Status.PAID and rerun.paid == 1
    assert successful_charges(killed) == 1  # asked again, same key: the same charge
    # Ada paid every month, once each; Grace's suspended service is no longer billed.
    assert [i.status for i in invoices_of(ada_id)] == ["paid"] * 3
    assert all(successful_charges(i) == 1 for i in invoices_of(ada_id))
    assert len(invoices_of(grace_id)) == 3  # December: the 8 days before suspension
    assert invoices_of(grace_id)[-1].total == prorated(1500, Period(dt.date(2026, 12, 1),
                                                       dt.date(2027, 1, 1)), 7)  # fmt: skip


def test_pro_rating_by_days_and_money_as_people_write_it():
    november = Period(dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    assert days_used(november, dt.date(2026, 11, 21), None) == 10
    assert days_used(november, dt.date(2026, 10, 1), dt.date(2026, 11, 11)) == 10
    assert days_used(november, dt.date(2026, 12, 2), None) == 0
    assert prorated(1500, november, 10) == 500 and prorated(1500, november, 30) == 1500
    assert prorated(1000, november, 1) == 33  # 33.33…, half up
    assert format_money(1500, "USD") == "$15.00"
    assert format_money(1500, "JPY") == "¥1,500"  # no minor unit
    assert format_money(123456, "EUR") == "€1,234.56"


@pytest.mark.promise("PAY-1")
@pytest.mark.parametrize("name", ["isp", "japoon", "quality", "ducallier"])
def test_a_paid_service_starts_only_with_a_usable_card_or_agreed_transfer(name, signed_up):
    with use_profile(name):
        client, _ = signed_up()
        service = hosting()
        page = client.get("/account/services/").content.decode()
        assert "$15.00 a month" in page and "cents" not in page
        refused = client.post("/account/services/subscribe/", {"service": service.pk}, follow=True)
        assert "add a card first" in refused.content.decode()
        mine = Subscription.objects.for_purpose(SYSTEM, "essential.service")
        assert not mine.exists()
        client.post("/account/billing/card/", card_form("4000000000000002"))  # refused
        client.post("/account/services/subscribe/", {"service": service.pk})
        assert not mine.exists()
        client.post("/account/billing/card/", card_form())
        client.post("/account/services/subscribe/", {"service": service.pk})
        assert mine.count() == 1
        # Staff agree that Grace pays by bank transfer: invoiced, never charged.
        other, grace = signed_up("grace", GRACE)
        PaymentTerms.objects.for_purpose(SYSTEM, Purpose.PAYMENT).create(customer_id=grace)
        other.post("/account/services/subscribe/", {"service": service.pk})
        assert mine.filter(customer_id=grace).count() == 1
        invoice = billed(grace)
        assert invoice.status == Invoice.Status.AWAITING_TRANSFER
        assert (
            not ChargeAttempt.objects.for_purpose(SYSTEM, Purpose.PAYMENT)
            .filter(customer_id=grace)
            .exists()
        )
        assert "Awaiting bank transfer" in other.get("/account/billing/").content.decode()


@pytest.mark.promise("PAY-1")
def test_the_customer_sees_the_next_charge_invoices_and_receipts_and_removes_the_card(
    signed_up, settings, django_capture_on_commit_callbacks
):
    settings.HIPPOCRATIC_BILLING = {**settings.HIPPOCRATIC_BILLING, "tax_rate_percent": "20"}
    with use_profile("ducallier"):
        client, me = signed_up()
        client.post("/account/billing/card/", card_form())
        running_since(me)
        page = client.get("/account/billing/").content.decode()
        assert "About <strong>$18.00</strong>" in page  # a whole month, with 20% tax
        invoice = billed(me)
        assert (invoice.subtotal, invoice.tax, invoice.total) == (1500, 300, 1800)
        assert invoice.tax_rate_percent == Decimal("20")
        page = client.get("/account/billing/").content.decode()
        assert invoice.number in page and "$18.00" in page and "Paid" in page
        receipt = client.get(f"/account/billing/invoices/{invoice.number}/").content.decode()
        assert "Receipt " + invoice.number in receipt and "Tax (20%)" in receipt
        assert "A. Lovelace" in receipt and "card ending 4242" in receipt
        other, _ = signed_up("grace", GRACE)
        assert other.get(f"/account/billing/invoices/{invoice.number}/").status_code == 404
        token = billing._methods(SYSTEM, me).get().processor_token
        assert client.post("/account/billing/card/remove/").status_code == 302
        assert not billing._methods(SYSTEM, me).exists()
        detached = SandboxLedgerEntry.objects.filter(kind="detach")
        assert detached.count() == 1
        with pytest.raises(processors.CardDeclined):  # the processor forgot it too
            processors.current_processor().charge(
                processors.ChargeRequest(token, 100, "usd", "X", "X/1")
            )
        # Next month there is no card: the charge fails, is retried, the customer told.
        later = runs.run(NEXT_RUN + dt.timedelta(days=32))
        assert later.declined == 1 and "no_card" in set(
            ChargeAttempt.objects.for_purpose(SYSTEM, Purpose.PAYMENT).values_list(
                "code", flat=True
            )
        )
        # A new card is tried at once: the worker is asked to charge this customer now.
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/account/billing/card/", card_form("5555555555554444"))
        queued = DBTaskResult.objects.get(task_path="hippocratic.billing.tasks.charge_customer")
        assert queued.args_kwargs["args"] == [me]
        assert charge_customer.call(me) == {"paid": 1, "declined": 0}
        paid = Invoice.objects.for_purpose(SYSTEM, Purpose.PAYMENT).filter(status="paid")
        assert paid.count() == 2 and paid.latest("period_start").card_last4 == "4444"


@pytest.mark.promise("PAY-2")
def test_staff_with_the_billing_role_see_invoices_refund_and_read_revenue(signed_up, staff_client):
    with use_profile("ducallier"):
        client, me = signed_up()
        client.post("/account/billing/card/", card_form())
        running_since(me)
        invoice = billed(me)
        may = Permission.objects.filter(content_type__app_label="billing")
        support = staff_client("staff.support", "sam", may)
        assert support.get("/admin/billing/invoice/").status_code == 403  # not billing's role
        staff = staff_client("staff.billing", "bill", may)
        listing = staff.get("/admin/billing/invoice/").content.decode()
        assert invoice.number in listing and "$15.00" in listing
        assert staff.get("/admin/billing/chargeattempt/").status_code == 200
        # One invoice and one charge as staff read them: money, lines in words, no codes.
        page = staff.get(f"/admin/billing/invoice/{invoice.pk}/change/").content.decode()
        line = invoice.lines[0]["description"]
        assert f"{line}: $15.00" in page and "&quot;amount&quot;" not in page
        assert ">1500<" not in page
        attempt = ChargeAttempt.objects.for_purpose(SYSTEM, Purpose.PAYMENT).get()
        page = staff.get(f"/admin/billing/chargeattempt/{attempt.pk}/change/").content.decode()
        assert "$15.00" in page and ">1500<" not in page
        refund = staff.post("/admin/billing/invoice/", {
            "action": "refund_in_full", "_selected_action": [invoice.pk],
        })  # fmt: skip
        assert refund.status_code == 302
        invoice = Invoice.objects.for_purpose(SYSTEM, Purpose.PAYMENT).get()
        assert (invoice.status, invoice.refunded) == (Invoice.Status.REFUNDED, 1500)
        assert SandboxLedgerEntry.objects.filter(kind="refund", amount=1500).count() == 1
        with pytest.raises(processors.PaymentError):  # nothing left to give back
            refunds.refund(Actor("staff.billing", "t"), invoice.pk)
        revenue = staff.get("/admin/billing/invoice/revenue/").content.decode()
        assert invoice.period_start.strftime("%B %Y") in revenue and "$15.00" in revenue
        with pytest.raises(AccessDenied):  # marketing never reads billing data
            list(Invoice.objects.for_purpose(Actor("staff.marketing", "m"), "marketing"))


def _values(obj) -> list[str]:
    """Every string and number in a processor call's arguments."""
    if isinstance(obj, dict):
        return [v for x in obj.values() for v in _values(x)]
    if isinstance(obj, (list, tuple)):
        return [v for x in obj for v in _values(x)]
    if hasattr(obj, "__dataclass_fields__"):
        return _values({k: getattr(obj, k) for k in obj.__dataclass_fields__})
    return [str(obj)]


# Everything about Ada that is not for the processor.
def _mentions(sent: str, value: str) -> bool:
    """`value` as a whole word: the user name "ada" is not in a random hex key "…3ada7…"."""
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", sent) is not None


NOT_FOR_THE_PROCESSOR = [ADA[k] for k in ("name", "email", "phone", "company", "title",
                                          "department", "fax", "address")] + ["ada"]  # fmt: skip


@pytest.mark.promise("DIS-6")
@pytest.mark.parametrize("name", ["isp", "japoon", "quality", "ducallier"])
def test_the_processor_receives_only_what_charging_needs(name, signed_up, monkeypatch):
    """Every call to the sandbox processor is captured; the billing fields go only
    where the policy lists them for the processor (not Quality's), nothing else."""
    calls = []
    real = SandboxProcessor()

    class Recording:
        name = "sandbox"

        def __getattr__(self, method):
            def call(*args):
                calls.append((method, args))
                return getattr(real, method)(*args)

            return call

    monkeypatch.setattr(billing, "current_processor", Recording)
    monkeypatch.setattr(runs, "current_processor", Recording)
    with use_profile(name):
        client, me = signed_up()
        asked = set(client.get("/account/billing/card/").context["billing"].fields)
        client.post("/account/billing/card/", card_form(billing_name="Ada's Billing Dept"))
        running_since(me)
        invoice = billed(me)
        client.post("/account/billing/card/remove/")
        shares_billing = bool(billing.processor_billing_fields())
    assert shares_billing == (name != "quality")
    assert [m for m, _ in calls] == ["add_card", "charge", "detach"]
    _, (_card, shared) = calls[0]
    given = {"billing_name": "Ada's Billing Dept", "billing_address": "12 St James's Square"}
    assert shared == ({k: v for k, v in given.items() if k in asked} if shares_billing else {})
    _, (request,) = calls[1]
    assert set(request.__dataclass_fields__) == {
        "token", "amount", "currency", "invoice_number", "idempotency_key"}  # fmt: skip
    assert (request.amount, request.invoice_number) == (invoice.total, invoice.number)
    sent = " ".join(_values(calls))
    for value in NOT_FOR_THE_PROCESSOR:
        if value == ADA["address"] and shares_billing:
            continue
        assert not _mentions(sent, value), value


@pytest.mark.promise("DIS-6")
def test_stripe_receives_only_what_charging_needs(signed_up):
    """The same through Stripe's client, on the wire: every form field of every request."""
    with FakeStripe("sk_test_fake") as stripe_api, use_profile("quality"):
        config = {"processor": "stripe", "api_key": "sk_test_fake", "api_base": stripe_api.url}
        with override_settings(HIPPOCRATIC_PAYMENTS=config):
            client, me = signed_up()
            client.post("/account/billing/card/", card_form())
            running_since(me)
            billed(me)
            client.post("/account/billing/card/remove/")
    fields = {key for _, form in stripe_api.requests for key in form}
    assert fields <= {
        "type", "card[number]", "card[exp_month]", "card[exp_year]", "card[cvc]",
        "payment_method", "customer", "confirm", "usage", "payment_method_types[0]",
        "amount", "currency", "off_session", "description",
    }, fields  # fmt: skip
    sent = " ".join(v for _, form in stripe_api.requests for v in form.values())
    for value in [*NOT_FOR_THE_PROCESSOR, "A. Lovelace"]:
        assert not _mentions(sent, value), value


@pytest.mark.promise("PAY-2")
def test_two_runs_at_once_never_take_the_same_invoice(signed_up):
    with use_profile("ducallier"):
        client, me = signed_up()
        client.post("/account/billing/card/", card_form())
        running_since(me)
        runs.issue_invoices(runs.periods.last_complete_month(NEXT_RUN.date()), NEXT_RUN)
        due = list(runs._due(NEXT_RUN).values_list("pk", flat=True))
        assert len(due) == 1
        assert [i["attempts"] for i in runs._claim(due, NEXT_RUN)] == [1]
        assert runs._claim(due, NEXT_RUN) == []  # taken: the other run finds nothing
        report = runs.RunReport()
        runs.charge_due(NEXT_RUN, report)
        assert report.paid == 0  # nothing is charged twice, or by the run that lost


@pytest.mark.promise("PAY-1")
def test_a_closed_accounts_card_is_detached_and_deleted_by_the_next_run(signed_up):
    with use_profile("ducallier"):
        client, me = signed_up()
        client.post("/account/billing/card/", card_form())
        Customer.objects.for_purpose(SYSTEM, "essential.service").filter(pk=me).update(
            status="closed", closed_at=NEXT_RUN - dt.timedelta(days=3)
        )
        assert runs.run(NEXT_RUN).cards_removed == 1
        assert not billing._methods(SYSTEM, me).exists()
        assert SandboxLedgerEntry.objects.filter(kind="detach").count() == 1
