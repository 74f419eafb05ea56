"""The site shell: public pages and the privacy policy page."""

import pytest
from django.core import checks
from django.test import override_settings
from django.urls import reverse
from tests_paths import POLICIES, making, use_profile

from hippocratic.capabilities import enforced
from hippocratic.policy import load_policy
from hippocratic.policy.render import to_html

PUBLIC_PAGES = ["site:home", "site:privacy"]
# The privacy page names the published version in force, which is in the database.
pytestmark = pytest.mark.django_db


@pytest.mark.promise("VIS-1")
@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_need_no_login_and_set_no_cookie(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert response.cookies == {}
    assert "Set-Cookie" not in response.headers


@pytest.mark.promise("VIS-8")
@pytest.mark.parametrize("profile", making("VIS-8"), indirect=True)
def test_links_out_send_only_our_origin(client, profile):
    for name in ("site:home", "site:privacy"):
        response = client.get(reverse(name))
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.promise("POL-1")
@pytest.mark.parametrize("name", ["dracon", "isp", "japoon", "quality", "ducallier"])
def test_privacy_page_is_the_configured_policy_file_rendered(client, name):
    path = POLICIES / f"{name}.yaml"
    with override_settings(HIPPOCRATIC_POLICY=str(path)):
        response = client.get(reverse("site:privacy"))
    assert response.status_code == 200
    assert to_html(load_policy(path).policy, enforced=enforced()) in response.content.decode()


@pytest.mark.promise("POL-1")
def test_privacy_page_follows_a_change_to_the_file(client, tmp_path):
    """Edit the file and the page says what the edit says: they cannot differ."""
    text = (POLICIES / "japoon.yaml").read_text()
    edited = tmp_path / "edited.yaml"
    edited.write_text(text.replace("date: 2001-05-04", "date: 2026-11-02"))
    with override_settings(HIPPOCRATIC_POLICY=str(edited)):
        page = client.get(reverse("site:privacy")).content.decode()
    assert "November 2, 2026" in page
    assert "May 4, 2001" not in page


@pytest.mark.promise("POL-2")
def test_every_page_shows_when_the_policy_was_last_revised(client):
    with override_settings(HIPPOCRATIC_POLICY=str(POLICIES / "japoon.yaml")):
        page = client.get(reverse("site:home")).content.decode()
    assert '<time datetime="2001-05-04">May 4, 2001</time>' in page


@pytest.mark.promise("POL-2")
@pytest.mark.parametrize("name", ["dracon", "isp", "quality", "ducallier"])
def test_a_revision_date_comes_from_the_published_version_never_invented(
    client, settings, tmp_path, name
):
    """Issue 31: pages printed "last revised June 1, 2001" (and others) that no seed
    gives. A file with no date of its own shows none until it is published; then the
    day its version was published, on every page and in the policy."""
    from freezegun import freeze_time

    from hippocratic.versions import publishing

    settings.HIPPOCRATIC_POLICY = str(POLICIES / f"{name}.yaml")
    settings.HIPPOCRATIC_POLICY_VERSIONS = False
    page = client.get(reverse("site:privacy")).content.decode()
    assert "last revised" not in page.lower()
    settings.HIPPOCRATIC_POLICY_VERSIONS = True
    with freeze_time("2026-11-02 10:00:00"):
        publishing.publish(settings.HIPPOCRATIC_POLICY, by="legal")
        page = client.get(reverse("site:privacy")).content.decode()
    assert page.count('<time datetime="2026-11-02">November 2, 2026</time>') == 2  # top, footer
    assert "This policy was last revised on November 2, 2026." in page
    for invented in ("2001", "2002", "2003", "2010"):
        assert f"revised on {invented}" not in page and f", {invented}</time>" not in page


def test_pages_refuse_unsafe_methods(client):
    assert client.post(reverse("site:privacy")).status_code in (403, 405)


def test_invalid_policy_file_stops_the_site_with_its_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: hippocratic/1\nprovider: {}\n")
    with override_settings(HIPPOCRATIC_POLICY=str(bad)):
        found = checks.run_checks(tags=["hippocratic"])
    messages = [e.msg for e in found if e.id == "hippocratic.E001"]
    assert f"{bad}:2:11: provider.name: required key is missing, expected a value for 'name'" in (
        messages
    )


@pytest.mark.promise("VIS-1")
@pytest.mark.parametrize(
    "path",
    ["/", "/privacy/", "/preferences/", "/account/inquiry/", "/account/sign-up/", "/terms/"],
)
def test_reading_a_public_page_needs_no_sign_in_and_no_cookie(path):
    """A browser that refuses every cookie reads each public page (VIS-1's statement)."""
    from django.test import Client
    from tests_paths import use_profile

    with use_profile("ducallier"):
        response = Client().get(path)  # a fresh client sends no cookie
    assert response.status_code == 200, path


def test_staff_following_your_account_land_on_their_pages_and_404_is_in_the_sites_words(
    staff_client,
):
    from django.test import Client

    staff = staff_client(None, "sam")
    assert staff.get("/account/").url == "/staff/"
    with override_settings(DEBUG=False):
        missing = Client().get("/no/such/page/")
    assert missing.status_code == 404
    assert "We could not find that page" in missing.content.decode()


def test_dates_are_written_in_the_visitors_english(signed_up):
    from django.utils import timezone

    with use_profile("ducallier"):
        client, _ = signed_up()
        today = timezone.now()
        us = client.get("/account/data/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
        uk = client.get("/account/data/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8").content.decode()
        # One style per locale (hippocratic.formats): CLDR's long date.
        assert f"{today:%B} {today.day}, {today.year}" in us
        assert f"{today.day} {today:%B} {today.year}" in uk
        assert f"{today:%Y-%m-%d}" not in us and f"{today:%b}. {today.day}," not in us
        assert "django_language" not in client.cookies  # no cookie for it
