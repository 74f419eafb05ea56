"""`hippocratic policy conformance` fails on each kind of drift between code and policy."""

import ast
import logging

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import models
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.test.utils import isolate_apps
from django_tasks_db.models import DBTaskResult
from tests_paths import POLICIES, REPO

from hippocratic.accounts.models import Customer
from hippocratic.enforcement import conformance
from hippocratic.enforcement.fields import personal
from hippocratic.enforcement.gateway import PersonalDataModel, decided_elsewhere
from hippocratic.enforcement.libraries import LIBRARY_MODELS, technical
from hippocratic.enforcement.middleware import DeclaredCookiesMiddleware
from hippocratic.enforcement.registry import declarations
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose
from hippocratic.site import checks


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["dracon", "isp", "japoon", "quality", "ducallier"])
def test_every_profile_conforms(name, policy_path):
    with override_settings(HIPPOCRATIC_POLICY=str(policy_path(name))):
        assert conformance.check(current_policy()) == []
        call_command("conformance")


@isolate_apps("hippocratic.enforcement")
def test_field_without_a_category_is_reported(ducallier):
    class Lead(PersonalDataModel):
        data_subject = "prospect"
        name = personal(models.CharField(max_length=10), "user.name")
        notes = models.TextField()  # neither personal() nor technical

        class Meta(PersonalDataModel.Meta):
            app_label = "enforcement"

    (found,) = declarations([Lead])
    assert found.undeclared == ("notes",)
    (finding,) = conformance._declarations(current_policy(), [Lead])
    assert str(finding).startswith("enforcement.Lead.notes: holds data with no declared category")


@pytest.mark.django_db
def test_stored_category_the_policy_does_not_collect_is_reported(dracon):
    """Dracon collects no e-mail address; a row holding one is a conformance error."""
    with decided_elsewhere():
        Customer.internal.create(name="Bob", email="bob@example.com")
    findings = conformance.check(current_policy())
    assert [str(f) for f in findings] == [
        "accounts.Customer.email: 1 row(s) store user.contact.email, which the policy does "
        "not collect"
    ]
    with pytest.raises(CommandError, match="1 conformance error"):
        call_command("conformance")


def test_purpose_literals_are_read_from_source(tmp_path):
    source = tmp_path / "views.py"
    source.write_text(
        "def view(request, actor):\n"
        "    return Customer.objects.for_purpose(actor, 'train_ai_system').get()\n"
    )
    assert list(conformance._literal_purposes(source)) == [(2, "train_ai_system")]


@pytest.mark.promise("CK-6")
def test_cookie_literals_are_read_from_source(tmp_path):
    source = tmp_path / "views.py"
    source.write_text("def view(r):\n    response.set_cookie('tracker', '1')\n")
    assert list(conformance._literal_cookies(source)) == [(2, "tracker")]


@pytest.mark.promise("CK-6")
def test_django_cookies_must_be_declared(ducallier):
    policy = current_policy()
    assert list(conformance._cookies(policy)) == []
    with override_settings(SESSION_COOKIE_NAME="sid"):
        (finding,) = conformance._cookies(policy)
    assert "Django sets cookie 'sid', undeclared (CK-6)" in str(finding)
    with override_settings(MESSAGE_STORAGE="django.contrib.messages.storage.cookie.CookieStorage"):
        assert "messages" in str(next(iter(conformance._cookies(policy))))


@pytest.mark.promise("CK-6")
def test_undeclared_cookie_is_stripped_at_run_time_and_logged(ducallier, caplog):
    def view(request):
        response = HttpResponse("ok")
        response.set_cookie("tracker", "1")
        response.set_cookie("preferences", "dark")
        return response

    middleware = DeclaredCookiesMiddleware(view)
    with caplog.at_level(logging.ERROR, logger="hippocratic.cookies"):
        response = middleware(RequestFactory().get("/somewhere/"))
    assert set(response.cookies) == {"preferences"}
    assert "refused to set undeclared cookie 'tracker' on /somewhere/" in caplog.text


# --- the libraries' tables (logins, sessions, login attempts, the task queue) ----------


def test_every_table_of_a_library_is_declared(monkeypatch, ducallier):
    assert [f for f in conformance._libraries(current_policy())] == []
    monkeypatch.delitem(LIBRARY_MODELS, "axes.AccessLog")
    (finding,) = conformance._libraries(current_policy())
    assert str(finding) == (
        "axes.AccessLog: a library's table that enforcement.libraries does not declare"
    )


@pytest.mark.promise("VIS-3", "VIS-4")
@pytest.mark.django_db
@pytest.mark.parametrize("name", ["dracon", "isp", "quality"])
def test_a_browser_kept_by_a_library_is_reported(name, policy_path):
    """The pages of Dracon, the ISP and Quality say no browser is ever recorded: a user
    agent in a failed login's row is a conformance error, as it would be in ours."""
    with override_settings(HIPPOCRATIC_POLICY=str(policy_path(name))):
        AccessAttempt.objects.create(
            username="h:0", user_agent="Mozilla/5.0", ip_address=None, http_accept="",
            path_info="/account/login/", get_data="", post_data="", failures_since_start=1,
        )  # fmt: skip
        found = [str(f) for f in conformance.check(current_policy())]
        assert found == [
            "axes.AccessAttempt.user_agent: 1 row(s) store user.device, which the policy does "
            "not collect"
        ]


@pytest.mark.promise("VIS-3", "VIS-4", "SEC-1")
@pytest.mark.django_db
@pytest.mark.parametrize("name", ["dracon", "isp", "japoon", "quality", "ducallier"])
def test_a_failed_login_keeps_nothing_the_policy_does_not_collect(name, policy_path):
    with override_settings(HIPPOCRATIC_POLICY=str(policy_path(name))):
        User.objects.create_user("ada", password="a long and winding password")
        client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
        client.get("/account/login/")  # the test cookie, as a browser would get it
        client.post("/account/login/", {"username": "ada", "password": "wrong"})
        assert AccessAttempt.objects.count() == 1
        assert conformance.check(current_policy()) == []


@pytest.mark.django_db
def test_an_address_in_a_login_is_reported_where_the_policy_collects_none(dracon):
    User.objects.create_user("bob", email="bob@example.com", password="x" * 20)
    found = [str(f) for f in conformance.check(current_policy())]
    assert found == [
        "auth.User.email: 1 row(s) store user.contact.email, which the policy does not collect"
    ]


@pytest.mark.django_db
def test_a_task_carrying_a_personal_value_is_reported(ducallier):
    DBTaskResult.objects.create(
        task_path="hippocratic.requests.tasks.send_request_mail", backend_name="default",
        args_kwargs={"args": ["ada@example.com"], "kwargs": {}}, queue_name="default",
        priority=0, run_after=None,
    )  # fmt: skip
    found = [str(f) for f in conformance.check(current_policy())]
    assert found == [
        "hippocratic.requests.tasks.send_request_mail: a stored task carries more than ids "
        "and tokens"
    ]
    assert technical({"args": [12, "received"], "kwargs": {}})


# --- purposes: every one the code names is a Purpose, listed by its app ----------------


def test_an_app_that_needs_a_purpose_the_policy_does_not_declare_is_reported(monkeypatch):
    """The ISP declares no marketing: an app needing it there is named, by conformance
    and at start-up (an error in production)."""
    messaging = apps.get_app_config("messaging")
    monkeypatch.setattr(messaging, "purposes", (*messaging.purposes, Purpose.MARKETING_EMAIL))
    with override_settings(HIPPOCRATIC_POLICY=str(POLICIES / "isp.yaml")):
        assert [str(f) for f in conformance.purposes_needed(current_policy())] == [
            "messaging (its AppConfig): needs purpose 'marketing.communications.email', "
            "which the policy does not declare"
        ]
        with override_settings(HIPPOCRATIC_STRICT_PROMISES=True):
            (error,) = checks.purposes_are_declared(None)
        assert error.id == "hippocratic.E003"


def test_a_purpose_its_app_does_not_list_is_reported(monkeypatch, ducallier):
    sales = apps.get_app_config("sales")
    monkeypatch.setattr(sales, "optional_purposes", ())
    found = [str(f) for f in conformance._source(current_policy())]
    # sales uses SALES (orders) and PAYMENT (whether a referred customer has paid, DIS-4).
    assert found and all(
        "uses Purpose.SALES, which sales's AppConfig" in f
        or "uses Purpose.PAYMENT, which sales's AppConfig" in f
        for f in found
    )


def test_the_code_names_no_purpose_as_text():
    """Every purpose the code asks for is a Purpose member (or comes from the policy):
    none is written as a string where conformance could not see it."""
    values = {p.value for p in Purpose}
    found = []
    for path in sorted((REPO / "src" / "hippocratic").rglob("*.py")):
        if "migrations" in path.parts or "policy" in path.parts or path.name == "purposes.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in values:
                if path.match("*/sales/apps.py") or path.match("*/sales/urls.py"):
                    continue  # the app's own label and URL namespace, not a purpose
                found.append(f"{path.relative_to(REPO)}:{node.lineno} {node.value!r}")
    assert found == []
