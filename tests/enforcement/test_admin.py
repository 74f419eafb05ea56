"""The admin reads personal data through the gateway: scoped, decided and audited."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import Max
from django.urls import reverse
from factories import SYSTEM, staff_user

from hippocratic.accounts.models import Customer, Prospect
from hippocratic.enforcement.fields import category_of
from hippocratic.enforcement.gateway import UnscopedAccess
from hippocratic.enforcement.models import AuditEntry
from hippocratic.enforcement.personal_admin import PersonalDataAdmin
from hippocratic.enforcement.registry import personal_models
from hippocratic.provider import current_engine


@pytest.mark.promise("SEC-5")
def test_admin_changelist_is_audited_with_the_staff_member(customer, client):
    admin_user = User.objects.create_superuser("root", password="x")
    client.force_login(admin_user)
    response = client.get(reverse("admin:accounts_customer_changelist"))
    assert response.status_code == 200
    assert "Ada Lovelace" in response.content.decode()
    entry = AuditEntry.objects.filter(action="read", actor__contains="root").last()
    assert (entry.role, entry.purpose, entry.allowed) == ("staff.admin", "essential.service", True)


def test_staff_without_a_role_is_refused(customer, staff_client):
    """Django's view permission is not enough: the policy knows no role for this clerk."""
    client = staff_client(None, "clerk", ["view_customer"])
    response = client.get(reverse("admin:accounts_customer_changelist"))
    assert response.status_code == 403
    assert AuditEntry.objects.filter(actor__contains="clerk", allowed=False).exists()


def test_staff_role_comes_from_the_group(customer, staff_client):
    client = staff_client("staff.support", "sam", ["view_customer"])
    assert client.get(reverse("admin:accounts_customer_changelist")).status_code == 200
    assert AuditEntry.objects.filter(actor__contains="sam").last().role == "staff.support"


def _form_data(response) -> dict:
    form = response.context["adminform"].form
    return {name: "" if form[name].value() is None else form[name].value() for name in form.fields}


@pytest.mark.promise("SEC-5", "ACC-4")
def test_an_admin_save_is_an_update_the_gateway_decides_and_audits(customer, client):
    """Support changes a phone number in the admin: one UPDATE, of the form's fields, in
    the scope the row was read in, audited with who did it."""
    sam = staff_user("staff.support", "sam", permissions=["view_customer", "change_customer"])
    client.force_login(sam)
    url = reverse("admin:accounts_customer_change", args=[customer.pk])
    data = _form_data(client.get(url))
    data["phone"] = "+44 20 7946 0999"
    assert client.post(url, data).status_code == 302
    entry = AuditEntry.objects.filter(action="update").last()
    assert (entry.actor, entry.role, entry.purpose, entry.allowed) == (
        f"user:{sam.pk}:sam", "staff.support", "essential.service", True)  # fmt: skip
    assert entry.categories == ["user.contact.phone_number"]
    assert Customer.objects.for_purpose(SYSTEM, "essential.service").get().phone.endswith("999")


@pytest.mark.promise("ACC-4")
def test_an_admin_form_leaves_out_what_the_role_may_not_use(db, ducallier, client):
    """Marketing reads prospects for marketing mail: the form shows only what that purpose
    may use, and an added prospect is written through the gateway."""
    can = ["view_prospect", "add_prospect", "change_prospect"]
    mo = staff_user("staff.marketing", "mo", permissions=can)
    client.force_login(mo)
    add = client.get(reverse("admin:accounts_prospect_add"))
    shown = set(add.context["adminform"].form.fields)
    engine = current_engine()
    for field in Prospect.personal_fields():
        may = engine.decide("staff.marketing", "marketing.communications.email",
                            [category_of(field)], "prospect").allowed  # fmt: skip
        assert (field.name in shown) == may, field.name
    data = {**_form_data(add), "name": "Charles Babbage", "email": "charles@example.com"}
    response = client.post(reverse("admin:accounts_prospect_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.filter(action="create").last()
    assert (entry.actor, entry.subject, entry.allowed) == (f"user:{mo.pk}:mo", "prospect", True)


def test_a_row_saved_outside_the_gateway_is_refused(db, ducallier):
    with pytest.raises(UnscopedAccess):
        Customer(name="Eve").save()


@pytest.mark.promise("SEC-5")
def test_every_personal_model_in_the_admin_is_read_through_the_gateway(customer, client):
    """Every personal model the admin shows goes through PersonalDataAdmin, and its list
    is decided and audited as the staff member who opened it."""
    registered = [m for m in admin.site._registry if m in personal_models()]
    assert registered
    root = User.objects.create_superuser("root", password="x")
    client.force_login(root)
    for model in registered:
        assert isinstance(admin.site._registry[model], PersonalDataAdmin), model
        before = AuditEntry.objects.aggregate(newest=Max("pk"))["newest"] or 0
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        answer = client.get(url).status_code
        assert answer in (200, 403), url
        if not admin.site._registry[model].offered():
            # No such pages under this policy (its purpose or subject undeclared):
            # refused before any read, so nothing to audit.
            assert answer == 403 and not AuditEntry.objects.filter(pk__gt=before).exists()
            continue
        entries = AuditEntry.objects.filter(pk__gt=before, actor=f"user:{root.pk}:root")
        assert entries.exists(), f"{url} read without an audit entry"
