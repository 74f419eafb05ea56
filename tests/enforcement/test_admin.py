"""The admin reads personal data through the gateway: scoped, decided and audited."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from hippocratic.enforcement.models import AuditEntry


@pytest.mark.promise("SEC-5")
def test_admin_changelist_is_audited_with_the_staff_member(customer, client):
    admin_user = User.objects.create_superuser("root", password="x")
    client.force_login(admin_user)
    response = client.get(reverse("admin:accounts_customer_changelist"))
    assert response.status_code == 200
    assert "Ada Lovelace" in response.content.decode()
    entry = AuditEntry.objects.filter(action="read", actor__contains="root").last()
    assert (entry.role, entry.purpose, entry.allowed) == ("staff.admin", "essential.service", True)


def test_staff_without_a_role_is_refused(customer, client):
    """Django's view permission is not enough: the policy knows no role for this clerk."""
    clerk = User.objects.create_user("clerk", password="x", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(clerk)
    response = client.get(reverse("admin:accounts_customer_changelist"))
    assert response.status_code == 403
    assert AuditEntry.objects.filter(actor__contains="clerk", allowed=False).exists()


def test_staff_role_comes_from_the_group(customer, client):
    support = User.objects.create_user("sam", password="x", is_staff=True)
    support.groups.add(Group.objects.create(name="staff.support"))
    support.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(support)
    assert client.get(reverse("admin:accounts_customer_changelist")).status_code == 200
    assert AuditEntry.objects.filter(actor__contains="sam").last().role == "staff.support"
