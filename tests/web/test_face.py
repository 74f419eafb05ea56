"""Issue 32's small pieces: a favicon, the login page's way on, a proper 404 where the
provider reviews no messages (DEBUG on too), the navigation's current page, and a
refusal by the policy in words."""

import pytest
from django.test import Client
from factories import running_since
from tests_paths import use_profile

from hippocratic.accounts.models import Service


@pytest.mark.django_db
def test_the_favicon_is_the_sites_own_file_not_a_404():
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    assert 'rel="icon"' in Client().get("/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("profile", ["ducallier", "dracon"], indirect=True)
def test_the_login_page_links_sign_up_and_recovery(profile):
    page = Client().get("/account/login/").content.decode()
    assert 'href="/account/sign-up/"' in page and 'href="/account/recover/"' in page


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


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "price"), [("en-US", "$15.00"), ("en-GB", "US$15.00")])
def test_the_home_page_shows_the_catalogue_with_prices_in_the_visitors_locale(language, price):
    Service.objects.create(code="hosting", name="Web hosting", description="A site of your own.",
                           monthly_price_cents=1500, currency="USD")  # fmt: skip
    Service.objects.create(code="gone", name="Dial-up", monthly_price_cents=900, available=False)
    with use_profile("ducallier"):  # takes orders through sign-up
        page = Client(HTTP_ACCEPT_LANGUAGE=language).get("/").content.decode()
    assert "Web hosting" in page and "A site of your own." in page
    assert f"<strong>{price}</strong> a month" in page
    assert "Dial-up" not in page and "1500" not in page
    assert '<a href="/account/sign-up/">Web hosting</a>' in page


@pytest.mark.django_db
def test_where_products_are_ordered_on_their_page_the_home_page_links_it():
    Service.objects.create(code="hosting", name="Web hosting", monthly_price_cents=1500)
    with use_profile("quality"):  # the order-form cookie (CK-2)
        page = Client().get("/").content.decode()
    assert '<a href="/products/hosting/">Web hosting</a>' in page


@pytest.mark.django_db
def test_the_account_page_names_statuses_in_words(signed_up):
    client, me = signed_up()
    running_since(me)
    page = client.get("/account/").content.decode()
    assert "<dt>Account status</dt><dd>Active</dd>" in page
    assert '<td data-label="Status">Active</td>' in page and ">active<" not in page
