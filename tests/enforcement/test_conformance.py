"""`hippocratic policy conformance` fails on each kind of drift between code and policy."""

import logging

import pytest
from django.core.management import CommandError, call_command
from django.db import models
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.test.utils import isolate_apps

from hippocratic.accounts.models import Customer
from hippocratic.enforcement import conformance
from hippocratic.enforcement.fields import personal
from hippocratic.enforcement.gateway import PersonalDataModel, decided_elsewhere
from hippocratic.enforcement.middleware import DeclaredCookiesMiddleware
from hippocratic.enforcement.registry import declarations
from hippocratic.provider import current_policy


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
