"""Issue 32's small pieces: a favicon, the login page's way on, a proper 404 where the
provider reviews no messages (DEBUG on too), the navigation's current page, and a
refusal by the policy in words."""

import pytest
from django.test import Client
from tests_paths import use_profile


@pytest.mark.django_db
def test_the_favicon_is_the_sites_own_file_not_a_404():
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    assert 'rel="icon"' in Client().get("/").content.decode()


@pytest.mark.django_db
def test_the_login_page_links_sign_up_and_where_to_ask_for_a_password():
    with use_profile("ducallier"):
        page = Client().get("/account/login/").content.decode()
    assert 'href="/account/sign-up/"' in page and "mailto:support@ducallier.com" in page


@pytest.mark.django_db
def test_report_harm_where_the_policy_reviews_nothing_is_the_sites_404_even_with_debug(
    settings,
):
    settings.DEBUG = True
    with use_profile("ducallier"):
        response = Client().get("/report-harm/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


@pytest.mark.django_db
def test_the_navigation_marks_your_account_on_every_account_page(signed_up):
    client, _ = signed_up()
    for path in ("/account/", "/account/billing/", "/account/data/"):
        page = client.get(path).content.decode()
        assert 'href="/account/" aria-current="page"' in page, path
        assert 'href="/" aria-current="page"' not in page, path
