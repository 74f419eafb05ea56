"""Closing an account (issue 31), which is not erasure: the customer closes it from the
account pages (password again, CSRF); services end, what is owed is invoiced and
charged, cards are detached and deleted, the login stops working; and the retention
periods that run "after your account closes" start, so the retention job deletes the
password, the user name and the rest on the policy's dates."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django_tasks_db.models import DBTaskResult
from factories import ADA, GRACE, PASSWORD, SYSTEM, card_form, hosting, running_since, sign_up
from freezegun import freeze_time
from tests_paths import PROFILES, use_profile

import hippocratic.urls  # noqa: F401  (built before the clock is frozen: the API's schemas)
from hippocratic.accounts import closing
from hippocratic.accounts.models import AccountEvent, Customer, Subscription
from hippocratic.accounts.tasks import mail_closing_notice
from hippocratic.billing import runs
from hippocratic.billing import services as billing
from hippocratic.billing.models import Invoice, PaymentMethod, SandboxLedgerEntry
from hippocratic.billing.processors import ProcessorUnavailable
from hippocratic.billing.processors.sandbox import SandboxProcessor
from hippocratic.enforcement import retention
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.gateway import purpose_for
from hippocratic.enforcement.models import AuditEntry
from hippocratic.purposes import Purpose

pytestmark = pytest.mark.django_db
CLOSING = dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC)
TASK = "hippocratic.accounts.tasks.mail_closing_notice"


def customer(pk: int) -> dict:
    rows = Customer.objects.for_purpose(SYSTEM, Purpose.SERVICE).filter(pk=pk)
    return rows.values("status", "closed_at", "user_id").first()


def log_in(username="ada", password=PASSWORD) -> bool:
    client = Client()
    client.get("/account/login/")
    response = client.post("/account/login/", {"username": username, "password": password})
    return response.status_code == 302


def purge_at(moment: dt.datetime, monkeypatch) -> list[retention.Removal]:
    monkeypatch.setattr(retention, "_now", lambda: moment)
    return retention.purge(for_real=True)


@pytest.mark.promise("ACC-7")
@pytest.mark.parametrize("name", PROFILES)
def test_a_customer_closes_their_account_and_the_login_stops_working(name, signed_up):
    with use_profile(name), freeze_time(CLOSING):
        client, me = signed_up()
        running_since(me, CLOSING - dt.timedelta(days=3), service=hosting(price=0))
        page = client.get("/account/close/").content.decode()
        assert "Web hosting" in page  # the services that end are named
        wrong = client.post("/account/close/", {"password": "not it"})
        assert "That is not your password." in wrong.content.decode()
        assert customer(me)["closed_at"] is None and log_in()
        done = client.post("/account/close/", {"password": PASSWORD})
        assert done.status_code == 200 and "Your account is closed" in done.content.decode()
        assert customer(me)["status"] == "closed" and customer(me)["closed_at"] == CLOSING
        running = Subscription.objects.for_purpose(SYSTEM, Purpose.SERVICE).filter(
            customer_id=me, status="active"
        )
        assert not running.exists()  # the service ended
        assert not log_in()  # the user name and password no longer log in
        assert client.get("/account/").status_code == 302  # this session ended too
        kinds = AccountEvent.objects.for_purpose(SYSTEM, purpose_for(AccountEvent))
        assert kinds.filter(customer_id=me, kind="closed").exists()
        assert AuditEntry.objects.filter(rule="account closed", subject_ref=str(me)).exists()


@pytest.mark.parametrize("name", PROFILES)
def test_the_page_gives_the_dates_the_policy_sets_from_the_closing(name, signed_up):
    with use_profile(name), freeze_time(CLOSING):
        client, _ = signed_up()
        page = client.get("/account/close/").content.decode()
        done = client.post("/account/close/", {"password": PASSWORD}).content.decode()
    # Every profile keeps the password 1 day and the user name 30 days after closing.
    for text in (page, done):
        assert "October 21, 2026" in text and "October 21, 2026</td><td>Password" in text
        assert "November 19, 2026</td><td>User name" in text


def test_closing_needs_the_forms_csrf_token(signed_up):
    _, me = signed_up()
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(User.objects.get(username="ada"))
    assert checked.post("/account/close/", {"password": PASSWORD}).status_code == 403
    assert customer(me)["closed_at"] is None


@pytest.mark.parametrize("name", ["isp", "ducallier"])
def test_closing_issues_the_final_invoice_charges_it_and_deletes_the_card(name, signed_up):
    with use_profile(name), freeze_time(CLOSING):
        client, me = signed_up()
        assert client.post("/account/billing/card/", card_form()).status_code == 302
        running_since(me, dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC))  # September not billed yet
        page = client.get("/account/close/").content.decode()
        assert "final invoice" in page and "Visa ending 4242" in page
        done = client.post("/account/close/", {"password": PASSWORD}).content.decode()
        invoices = Invoice.objects.for_purpose(SYSTEM, Purpose.PAYMENT).filter(customer_id=me)
        september, october = invoices.order_by("period_start")
        assert (september.period_start, october.period_start) == (
            dt.date(2026, 9, 1),
            dt.date(2026, 10, 1),
        )
        assert "(19 of 31 days)" in october.lines[0]["description"]  # up to the closing day
        assert {september.status, october.status} == {"paid"}  # charged while the card was on file
        assert f"Invoice {october.number}: $9.19, paid" in done  # 1500 * 19/31
        assert not PaymentMethod.objects.for_purpose(SYSTEM, Purpose.PAYMENT).exists()
        assert SandboxLedgerEntry.objects.filter(kind="detach").count() == 1
        assert "detached" in done
        # The monthly run issues nothing more for the closed account, nor charges again.
        assert billing.payments_enabled()
    with use_profile(name), freeze_time("2026-11-01 06:00:00"):
        assert runs.run().issued == 0


@pytest.mark.parametrize("name", ["dracon", "ducallier"])
def test_retention_deletes_the_password_then_the_login_then_the_rest_on_their_dates(
    name, signed_up, monkeypatch
):
    with use_profile(name), freeze_time(CLOSING):
        client, me = signed_up()
        signed_up("grace")  # an open account: nothing of it goes, however long
        client.post("/account/close/", {"password": PASSWORD})
    with use_profile(name):
        purge_at(CLOSING + dt.timedelta(hours=23), monkeypatch)
        assert User.objects.get(username="ada").has_usable_password()  # not yet: 1 day
        purge_at(CLOSING + dt.timedelta(days=1, hours=1), monkeypatch)
        ada = User.objects.get(username="ada")
        assert not ada.has_usable_password() and not ada.check_password(PASSWORD)
        purge_at(CLOSING + dt.timedelta(days=29), monkeypatch)
        assert User.objects.filter(username="ada").exists()  # the user name: 30 days
        purge_at(CLOSING + dt.timedelta(days=30, hours=1), monkeypatch)
        assert not User.objects.filter(username="ada").exists()
        assert customer(me)["user_id"] is None and customer(me)["status"] == "closed"
        purge_at(CLOSING + dt.timedelta(days=366), monkeypatch)
        assert customer(me) is None  # name, address, status, log: 365 days
        grace = User.objects.get(username="grace")
        assert grace.has_usable_password() and grace.check_password(PASSWORD)
        assert AuditEntry.objects.filter(rule="retention:login.username", allowed=True).exists()


def test_an_account_closed_once_is_not_closed_again(signed_up):
    _, me = signed_up()
    closing.close(me, by=Actor.for_customer(me))
    with pytest.raises(closing.AlreadyClosed):
        closing.close(me, by=Actor.for_customer(me))


def test_a_processor_that_does_not_answer_leaves_the_card_to_the_hourly_run(signed_up, monkeypatch):
    with use_profile("ducallier"):
        client, me = signed_up()
        client.post("/account/billing/card/", card_form())

        def unavailable(self, token):
            raise ProcessorUnavailable("no answer")

        with monkeypatch.context() as patched:
            patched.setattr(SandboxProcessor, "detach", unavailable)
            done = client.post("/account/close/", {"password": PASSWORD}).content.decode()
        assert "Your account is closed" in done and "hourly billing run" in done
        assert customer(me)["status"] == "closed"
        cards = PaymentMethod.objects.for_purpose(SYSTEM, Purpose.PAYMENT)
        assert cards.filter(customer_id=me).exists()  # still here: not detached there
        assert runs.run().cards_removed == 1 and not cards.filter(customer_id=me).exists()


@pytest.mark.parametrize("name", ["dracon", "ducallier"])
def test_the_closed_account_is_mailed_the_dates_where_an_address_is_kept(name, signed_up):
    with use_profile(name), freeze_time(CLOSING):
        client, me = signed_up()
        client.post("/account/close/", {"password": PASSWORD})
        [queued] = DBTaskResult.objects.filter(task_path=TASK)
        assert queued.args_kwargs["args"] == [me]  # the number only, never an address
        sent = mail_closing_notice.call(me)
    assert sent is (name == "ducallier")
    if sent:
        [message] = mail.outbox
        assert message.to == [ADA["email"]] and "closed on October 20, 2026" in message.body
        assert "November 19, 2026: User name" in message.body


def test_a_member_who_closes_leaves_the_organisation(signed_up):
    with use_profile("ducallier"):
        owner, _ = signed_up(account="organisation")
        link = owner.post("/account/organisation/").context["link"]
        colleague = Client()
        sign_up(colleague, "grace", GRACE, path=link.removeprefix("http://testserver"))
        assert owner.post("/account/organisation/").context["members"] == 2
        colleague.post("/account/close/", {"password": PASSWORD})
        assert owner.post("/account/organisation/").context["members"] == 1


@pytest.mark.parametrize("name", PROFILES)
def test_the_privacy_page_says_an_account_closes_on_the_account_pages_where_it_does(
    name, signed_up
):
    with use_profile(name):
        page = Client().get("/privacy/").content.decode()
        assert "after your account closes" in page
        assert "You can close your account at any time on your account pages" in page
        client, _ = signed_up()  # and it is so: the account page links the closing page
        assert 'href="/account/close/"' in client.get("/account/").content.decode()
        assert client.get("/account/close/").status_code == 200
