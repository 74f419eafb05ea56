"""The walk: every URL pattern and API route, tried by another customer, by staff
with no role, and by a stranger. None of them reads or changes anything of Grace's
(ACC-9); and no form or API call takes a POST without its CSRF token."""

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from factories import GRACE
from tests_paths import use_profile

from hippocratic.accounts.models import Subscription
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.decided import decided_elsewhere
from web.walk import everyone_and_every_path, paths

pytestmark = pytest.mark.django_db
METHODS = ("get", "post", "patch", "delete")
TABLES = {
    "accounts_customer": "id", "accounts_subscription": "customer_id",
    "accounts_accountevent": "customer_id", "billing_paymentmethod": "customer_id",
    "billing_invoice": "customer_id",
}  # fmt: skip


def snapshot(customer: int) -> dict:
    """Everything the database holds about one customer, read below the gateway."""
    held = {}
    with connection.cursor() as cursor, decided_elsewhere():
        for table, column in TABLES.items():
            cursor.execute(f"SELECT * FROM {table} WHERE {column} = %s ORDER BY id", [customer])  # noqa: S608
            held[table] = cursor.fetchall()
        cursor.execute("SELECT password, is_active FROM auth_user WHERE username = 'grace_hopper'")
        held["auth_user"] = cursor.fetchall()
    return held


INTRUDERS = ("another customer", "staff with no role", "a stranger")


def intruder(signed_up, who: str):
    """Who tries: their client, asked for before each request. A request that logs its
    client out (/account/logout/) must not turn the rest of the walk into a stranger's,
    nor one that logs a stranger in (a sign-up) the rest into a customer's."""
    signed_up()
    staff = User.objects.create_user("stafford", is_staff=True)
    staff.user_permissions.set(Permission.objects.all())  # every Django permission, no role
    username = {"another customer": "ada", "staff with no role": "stafford"}.get(who)
    held = {"client": None}

    def client():
        current = held["client"]
        # Logged out by the last request, or (a stranger) logged in by it, as a sign-up does.
        if current is None or bool(username) != ("_auth_user_id" in current.session):
            current = held["client"] = Client()
            if username:
                current.force_login(User.objects.get(username=username))
        return current

    return client


BODY = {
    "service": "1", "name": "Mallory", "confirm": "yes", "number": "4111111111111111",
    "exp_month": "1", "exp_year": "2030", "cvc": "123", "email": "mallory@example.com",
}  # fmt: skip


@pytest.mark.promise("ACC-9")
@pytest.mark.parametrize("who", INTRUDERS)
def test_no_one_but_the_customer_reads_or_changes_their_data(grace, signed_up, who):
    with use_profile("ducallier"):
        grace_client, me, subscription, secrets_ = grace
        values = {"subscription_id": str(subscription), "object_id": str(me), "token": "x",
                  "app_label": "accounts", "id": str(me)}  # fmt: skip
        login = str(User.objects.get(username="grace_hopper").pk)
        before = snapshot(me)
        tried, fresh = 0, intruder(signed_up, who)
        walk = paths(values) + [p for p in paths(values | {"object_id": login})
                                if p.startswith("/admin/auth/user/")]  # fmt: skip
        for path in walk:
            if path in ("/account/erase/",):
                continue  # their own erasure
            for method in METHODS:
                client = fresh()
                if who != "a stranger":
                    assert "_auth_user_id" in client.session
                data = json.dumps({"name": "Mallory"}) if path.startswith("/api/") else BODY
                kind = "application/json" if path.startswith("/api/") else None
                response = getattr(client, method)(
                    path, data, **({"content_type": kind} if kind else {})
                ) if method != "get" else client.get(path)  # fmt: skip
                tried += 1
                body = response.content.decode(errors="replace")
                for secret in secrets_:
                    assert secret not in body, (who, method, path, secret)
        assert snapshot(me) == before
        assert tried > 100
        # The control: the walk's eyes do see Grace's data where it may be seen.
        assert GRACE["name"] in grace_client.get("/account/data/").content.decode()
        admin = User.objects.create_superuser("root")
        root = Client()
        root.force_login(admin)
        assert GRACE["name"] in root.get(f"/admin/accounts/customer/{me}/change/").content.decode()


@pytest.mark.promise("ACC-9")
def test_a_customer_cannot_discontinue_anothers_service(grace, signed_up):
    with use_profile("ducallier"):
        _, me, subscription, _ = grace
        ada, _ = signed_up()
        assert ada.post(f"/account/services/{subscription}/discontinue/").status_code == 404
        ada_api = ada.post(f"/api/me/subscriptions/{subscription}/discontinue")
        assert ada_api.status_code in (403, 404)
        mine = Subscription.objects.for_purpose(Actor.for_customer(me), "essential.service")
        assert mine.get().status == "active"


def test_every_post_without_a_csrf_token_is_refused(grace, signed_up):
    """CSRF is enforced on every form and every API call that changes something."""
    with use_profile("ducallier"):
        _, me, subscription, _ = grace
        before = snapshot(me)
        values = {"subscription_id": str(subscription), "object_id": str(me), "token": "x",
                  "app_label": "accounts"}  # fmt: skip
        grace_csrf = Client(enforce_csrf_checks=True)
        grace_csrf.force_login(User.objects.get(username="grace_hopper"))
        superuser = Client(enforce_csrf_checks=True)
        superuser.force_login(User.objects.create_superuser("root"))
        for client in (grace_csrf, superuser):
            for path in paths(values):
                for method in ("post", "patch", "delete"):
                    response = getattr(client, method)(path, BODY | {"confirm": "ERASE"})
                    assert response.status_code in (403, 404, 405), (method, path)
        assert snapshot(me) == before


def test_every_form_on_every_page_carries_a_csrf_token(grace, signed_up):
    with use_profile("ducallier"):
        clients, values = everyone_and_every_path(grace)
        forms_seen = 0
        for client in clients:
            for path in paths(values):
                if path.startswith("/api/"):
                    continue
                page = client.get(path).content.decode(errors="replace")
                for form in page.split("<form")[1:]:
                    form = form.split("</form>")[0]
                    if 'method="post"' in form.lower():
                        forms_seen += 1
                        assert "csrfmiddlewaretoken" in form, path
        assert forms_seen > 10
