"""The admin offers a superuser only pages that open: a model whose admin reads for a
purpose the policy does not declare (Ducallier tracks no sales, Dracon takes no
payment) is not listed, and its address is refused cleanly (it raised AccessDenied,
every read refused, behind a link the index showed)."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests_paths import PROFILES, use_profile

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("profile", PROFILES)
def test_every_page_the_admin_index_links_opens_for_a_superuser(profile):
    with use_profile(profile):
        root = Client()
        root.force_login(User.objects.create_superuser("root"))
        index = root.get("/admin/").content.decode()
        links = sorted(set(re.findall(r'href="(/admin/[a-z_]+/[a-z_]+/)"', index)))
        assert len(links) > 5
        refused = {link: root.get(link).status_code for link in links}
        assert {link: code for link, code in refused.items() if code != 200} == {}


def test_a_purpose_the_policy_does_not_declare_has_no_admin_pages():
    with use_profile("ducallier"):
        root = Client()
        root.force_login(User.objects.create_superuser("root"))
        assert "/admin/sales/order/" not in root.get("/admin/").content.decode()
        assert root.get("/admin/sales/order/").status_code == 403
    with use_profile("dracon"):  # a policy that tracks sales lists them
        assert "/admin/sales/order/" in root.get("/admin/").content.decode()
        assert root.get("/admin/sales/order/").status_code == 200
