"""No template, e-mail or staff screen asks for or shows a password (SEC-2)."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from factories import GRACE, PASSWORD
from tests_paths import use_profile

import hippocratic
from web.walk import paths

pytestmark = pytest.mark.django_db
# Where a password may be typed: by its owner, to log in, to choose it (a new one by
# recovery too), or to confirm it is them (closing the account, new recovery codes).
OWN_PASSWORD_PAGES = {"/account/login/", "/account/sign-up/", "/account/join/x/",
                      "/admin/login/", "/admin/password_change/", "/account/close/",
                      "/account/recover/", "/account/recovery-codes/"}  # fmt: skip
PASSWORD_INPUT = re.compile(r"<input[^>]*type=\"password\"[^>]*>", re.IGNORECASE)


@pytest.mark.promise("SEC-2")
def test_no_template_outputs_a_password():
    templates = [
        p for p in Path(hippocratic.__file__).parent.rglob("templates/**/*") if p.is_file()
    ]
    assert len(templates) > 10
    for template in templates:
        text = template.read_text()
        assert not re.search(r"\{\{[^}]*password[^}]*\}\}", text, re.IGNORECASE), template


@pytest.mark.promise("SEC-2")
def test_no_page_or_staff_screen_asks_for_or_shows_a_password(signed_up):
    with use_profile("japoon"):
        grace, me = signed_up("grace", GRACE)
        root = Client()
        root.force_login(User.objects.create_superuser("root"))
        login = User.objects.get(username="grace").pk
        values = {"object_id": str(login), "id": str(me), "token": "x", "subscription_id": "1",
                  "app_label": "auth"}  # fmt: skip
        pages = 0
        for client in (Client(), grace, root):
            for path in paths(values):
                response = client.get(path)
                body = response.content.decode(errors="replace")
                assert PASSWORD not in body, path
                assert "argon2" not in body and "md5$" not in body, path  # not even the hash
                inputs = PASSWORD_INPUT.findall(body)
                if inputs:
                    pages += 1
                    assert path in OWN_PASSWORD_PAGES, (path, inputs)
                    assert all("value=" not in i for i in inputs), (path, inputs)
        assert pages >= 2  # the control: the walk does find password inputs where they are
        # Staff cannot set a customer's password, nor add a login with one.
        form = root.get(f"/admin/auth/user/{login}/password/", follow=True).content.decode()
        assert not PASSWORD_INPUT.search(form)
        assert root.get("/admin/auth/user/add/").status_code == 403
        change = root.get(f"/admin/auth/user/{login}/change/")
        assert change.status_code == 200 and 'name="password"' not in change.content.decode()


@pytest.mark.promise("ACC-8")
def test_a_login_goes_only_with_its_customers_erasure_never_by_a_staff_delete(signed_up):
    with use_profile("japoon"):
        signed_up("grace", GRACE)
        root = Client()
        root.force_login(User.objects.create_superuser("root"))
        login = User.objects.get(username="grace").pk
        assert root.get(f"/admin/auth/user/{login}/delete/").status_code == 403
        listing = root.get("/admin/auth/user/").content.decode()
        assert "delete_selected" not in listing
        assert User.objects.filter(pk=login).exists()
