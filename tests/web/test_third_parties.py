"""No page loads anything from a third party (DIS-7, VIS-4): every page, as a stranger,
a customer and staff, names no other origin in what it loads, and carries a
Content-Security-Policy that allows none."""

import re

import pytest
from django.test import Client

from web.walk import everyone_and_every_path, paths

pytestmark = pytest.mark.django_db

# What a page loads or sends to: src=, href= of stylesheets and icons, and url() in CSS.
LOADS = re.compile(r"""(?:src|href)=["']([^"']+)["']|url\(["']?([^)"']+)""")
OTHER_ORIGIN = re.compile(r"^(?:https?:)?//(?!testserver[/:]|localhost[/:])", re.I)


def _loaded(page: str) -> list[str]:
    found = []
    for tag in re.findall(r"<(?:script|link|img|iframe|source|video|audio)\b[^>]*>", page, re.I):
        found += [a or b for a, b in LOADS.findall(tag)]
    found += [b for _, b in LOADS.findall(" ".join(re.findall(r"<style.*?</style>", page, re.S)))]
    return found


@pytest.mark.promise("VIS-4", "DIS-7")
@pytest.mark.parametrize(
    "profile", ["dracon", "ducallier", "isp", "japoon", "quality"], indirect=True
)
def test_no_page_loads_anything_from_a_third_party(grace, profile):
    clients, values = everyone_and_every_path(grace)
    pages = 0
    for client in clients:
        for path in [*paths(values), "/api/docs"]:
            response = client.get(path)
            policy = response.headers.get("Content-Security-Policy", "")
            assert "default-src 'self'" in policy, path
            assert "http" not in policy, path
            if "text/html" not in response.headers.get("Content-Type", ""):
                continue
            pages += 1
            outside = [u for u in _loaded(response.content.decode()) if OTHER_ORIGIN.match(u)]
            assert outside == [], (path, outside)
    assert pages > 20
    # And a content provider the policy names receives nothing, on any ground.
    from hippocratic.provider import current_engine, current_policy

    engine, policy = current_engine(), current_policy()
    for recipient in policy.recipients:
        if recipient.kind == "content_provider":
            for ground in ("terms_of_service", "legal_requirement", "service_to_customer"):
                assert not engine.decide_share(recipient.key, ground, ["user.name"],
                                               "customer").allowed  # fmt: skip


def test_the_api_docs_come_from_our_own_static_files():
    page = Client().get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
