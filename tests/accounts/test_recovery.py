"""Account recovery (issue 31): by a link mailed to the account's address where the
policy keeps addresses (JAPOON, Ducallier), by codes shown once at sign-up where it
keeps none (Dracon, the ISP, Quality). Neither tells anyone who is a customer."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django_tasks_db.models import DBTaskResult
from factories import ADA, PASSWORD, sign_up
from tests_paths import use_profile

from hippocratic.accounts import recovery
from hippocratic.accounts.models import RecoveryCode
from hippocratic.accounts.tasks import mail_recovery_links

pytestmark = pytest.mark.django_db
NEW = "another long passphrase 9"
BY_MAIL = ("japoon", "ducallier")
BY_CODE = ("dracon", "isp", "quality")
TASK = "hippocratic.accounts.tasks.mail_recovery_links"


def logs_in(username="ada", password=PASSWORD) -> bool:
    client = Client()
    client.get("/account/login/")
    response = client.post("/account/login/", {"username": username, "password": password})
    return response.status_code == 302


def worker() -> None:
    """What the worker does with the queued recovery mail (its command closes the test's
    database connection): each queued task run once, then gone."""
    for queued in DBTaskResult.objects.filter(task_path=TASK):
        mail_recovery_links.call(*queued.args_kwargs["args"], **queued.args_kwargs["kwargs"])
        queued.delete()


def mailed_link() -> str:
    worker()
    [message] = mail.outbox
    return re.search(r"http://\S+/account/recover/\S+/", message.body).group(0)


@pytest.mark.parametrize("name", [*BY_MAIL, *BY_CODE])
def test_the_profiles_that_keep_addresses_recover_by_mail_the_others_by_code(name):
    with use_profile(name):
        assert recovery.by_mail() is (name in BY_MAIL)
        page = Client().get("/account/recover/").content.decode()
    assert ("e-mail address" in page) is (name in BY_MAIL)
    assert ("recovery codes" in page) is (name in BY_CODE)


@pytest.mark.parametrize("name", BY_MAIL)
def test_a_mailed_link_sets_a_new_password_once(name, signed_up):
    with use_profile(name):
        signed_up()
        sent = Client().post("/account/recover/", {"email": ADA["email"].upper()})
        assert "Check your mail" in sent.content.decode()
        assert mail.outbox == []  # queued like other mail: the worker sends it
        link = mailed_link()
        assert mail.outbox[0].to == [ADA["email"]] and "ada" in mail.outbox[0].body
        browser = Client()
        form_page = browser.get(link, follow=True)
        assert "Set a new password" in form_page.content.decode()
        set_at = form_page.redirect_chain[-1][0]  # the token left the address bar
        done = browser.post(set_at, {"new_password1": NEW, "new_password2": NEW})
        assert done.status_code == 302
        assert logs_in(password=NEW) and not logs_in(password=PASSWORD)
        again = Client().get(link, follow=True).content.decode()
        assert "This link does not work" in again  # once only


@pytest.mark.parametrize("name", BY_MAIL)
def test_the_page_says_the_same_for_an_address_no_account_has(name, signed_up):
    with use_profile(name):
        signed_up()
        known = Client().post("/account/recover/", {"email": ADA["email"]})
        unknown = Client().post("/account/recover/", {"email": "nobody@else.example"})
        strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|nonce="[^"]*"')
        assert strip.sub("", known.content.decode()) == strip.sub("", unknown.content.decode())
        # The same work is queued for both; only the known address gets a mail.
        assert DBTaskResult.objects.filter(task_path=TASK).count() == 2
        worker()
        assert [m.to for m in mail.outbox] == [[ADA["email"]]]


@pytest.mark.parametrize("name", BY_MAIL)
def test_a_closed_account_gets_no_link_and_an_old_link_opens_nothing(name, signed_up):
    with use_profile(name):
        client, _ = signed_up()
        Client().post("/account/recover/", {"email": ADA["email"]})
        link = mailed_link()
        client.post("/account/close/", {"password": PASSWORD})
        page = Client().get(link, follow=True).content.decode()
        assert "This link does not work" in page
        mail.outbox.clear()
        Client().post("/account/recover/", {"email": ADA["email"]})
        worker()
        assert mail.outbox == []


@pytest.mark.parametrize("name", BY_CODE)
def test_codes_are_shown_once_at_sign_up_kept_hashed_and_each_works_once(name, signed_up):
    with use_profile(name):
        client = Client()
        response = sign_up(client, "ada", ADA)
        assert response["Location"] == "/account/recovery-codes/"  # where sign-up ends
        response = client.get(response["Location"])
        codes = re.findall(r"<code>([A-Z0-9-]+)</code>", response.content.decode())
        assert len(codes) == recovery.CODES and len(set(codes)) == recovery.CODES
        kept = set(RecoveryCode.objects.values_list("code_hash", flat=True))
        assert not kept & set(codes) and len(kept) == recovery.CODES  # only digests
        again = client.get("/account/recovery-codes/").content.decode()
        assert not any(code in again for code in codes)  # shown once
        assert f"You have {recovery.CODES} unused recovery codes" in again

        data = {"username": "ada", "code": codes[0].lower(), "password1": NEW, "password2": NEW}
        assert Client().post("/account/recover/", data).status_code == 302
        assert logs_in(password=NEW) and not logs_in(password=PASSWORD)
        reused = Client().post("/account/recover/", data | {"password1": PASSWORD,
                                                            "password2": PASSWORD})  # fmt: skip
        assert "do not open an account" in reused.content.decode()
        assert logs_in(password=NEW)


@pytest.mark.parametrize("name", BY_CODE)
def test_a_wrong_code_and_an_unknown_user_name_get_the_same_answer(name, signed_up):
    with use_profile(name):
        signed_up()
        wrong = {"username": "ada", "code": "AAAA-BBBB-CCCC-DDDD", "password1": NEW,
                 "password2": NEW}  # fmt: skip
        unknown = wrong | {"username": "nobody"}
        answers = [Client().post("/account/recover/", d).content.decode() for d in (wrong, unknown)]
        for answer in answers:
            assert "That user name and recovery code do not open an account." in answer
        assert logs_in(password=PASSWORD)


@pytest.mark.parametrize("name", BY_CODE)
def test_new_codes_need_the_password_and_end_the_old_ones(name, signed_up):
    with use_profile(name):
        client, _ = signed_up()
        client.get("/account/recovery-codes/")  # where sign-up goes: the first codes
        old = RecoveryCode.objects.count()
        refused = client.post("/account/recovery-codes/", {"password": "not it"})
        assert "That is not your password." in refused.content.decode()
        page = client.post("/account/recovery-codes/", {"password": PASSWORD}).content.decode()
        codes = re.findall(r"<code>([A-Z0-9-]+)</code>", page)
        assert len(codes) == recovery.CODES == old == RecoveryCode.objects.count()
        assert recovery.with_code("ada", codes[0]) == User.objects.get(username="ada")


def test_closing_ends_the_recovery_codes(signed_up):
    with use_profile("dracon"):
        client, _ = signed_up()
        client.get("/account/recovery-codes/")
        assert RecoveryCode.objects.exists()
        client.post("/account/close/", {"password": PASSWORD})
        assert not RecoveryCode.objects.exists()


@pytest.mark.parametrize("name", ["ducallier", "dracon"])
def test_recovery_is_rate_limited_per_client_and_per_target(name, settings, signed_up):
    settings.RATELIMIT_ENABLE = True
    cache.clear()
    with use_profile(name):
        signed_up()
        target = {"email": ADA["email"]} if name == "ducallier" else {
            "username": "ada", "code": "x", "password1": NEW, "password2": NEW}  # fmt: skip
        codes = [
            Client(REMOTE_ADDR=f"192.0.2.{i}").post("/account/recover/", target).status_code
            for i in range(7)
        ]
    cache.clear()
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
