"""Every cookie the site sets is the one the page declares, for the lifetime the page
states (CK-6): each profile is driven through the requests that set each cookie,
and every Set-Cookie header is compared with the /privacy/ page's cookie table."""

import html
import logging
import re

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from factories import ADA, PASSWORD
from tests_paths import use_profile

from hippocratic.enforcement.middleware import DeclaredCookiesMiddleware
from hippocratic.policy.render import cookie_lifetime

pytestmark = pytest.mark.django_db

PROFILES = ("dracon", "isp", "japoon", "quality", "ducallier")
ROW = re.compile(
    r"<tr><td[^>]*>([^<]+)</td><td[^>]*>[^<]*</td><td[^>]*>[^<]*</td><td[^>]*>([^<]+)</td>"
)


def page_cookie_table() -> dict[str, str]:
    page = Client().get("/privacy/").content.decode()
    cookies = page[page.index('<section id="cookies">') :]
    cookies = cookies[: cookies.index("</section>")]
    return {name: html.unescape(kept) for name, kept in ROW.findall(cookies)}


def lifetime(morsel) -> str:
    """What a Set-Cookie header says of its lifetime, in the page's words."""
    if morsel["max-age"] in ("", None):
        assert not morsel["expires"], f"{morsel.key} has Expires but no Max-Age"
        return cookie_lifetime(None)
    return cookie_lifetime(int(morsel["max-age"]) // 86400)


def every_cookie_the_site_sets(signed_up) -> dict:
    """Each request that sets a cookie, as a visitor and a customer make them."""
    seen = {}

    def keep(response):
        for name, morsel in response.cookies.items():
            if str(morsel["max-age"]) != "0":
                seen[name] = morsel

    visitor = Client()
    keep(visitor.get("/account/login/"))  # the CSRF token
    keep(visitor.post("/preferences/", {"text": "large", "theme": "dark"}))
    from hippocratic.accounts.models import Service

    Service.objects.get_or_create(code="hosting", defaults={"name": "Web hosting"})
    keep(visitor.post("/products/hosting/", {"name": "Ada", "keep": "1"}))  # the order form
    from hippocratic.sales.models import Affiliate

    Affiliate.objects.get_or_create(code="acme", defaults={"name": "Acme"})
    keep(visitor.post("/go/acme/", {"accept": "1"}))  # an affiliate's link, accepted
    signed_up("ada", ADA)
    returning = Client()
    returning.get("/account/login/")
    keep(returning.post("/account/login/", {"username": "ada", "password": PASSWORD,
                                            "remember": "on"}))  # fmt: skip
    return seen


@pytest.mark.promise("CK-6")
@pytest.mark.parametrize("name", PROFILES)
def test_every_set_cookie_is_on_the_page_with_its_lifetime(name, signed_up):
    with use_profile(name):
        seen = every_cookie_the_site_sets(signed_up)
        table = page_cookie_table()
    assert set(seen) == set(table)
    for cookie, morsel in seen.items():
        assert lifetime(morsel) == table[cookie], cookie


@pytest.mark.promise("CK-3")
def test_ducallier_session_cookie_lasts_one_browser_session(signed_up):
    with use_profile("ducallier"):
        client, _ = signed_up("ada", ADA)
        client.logout()
        browser = Client()
        browser.get("/account/login/")  # the test cookie, as a browser would get it
        response = browser.post("/account/login/", {"username": "ada", "password": PASSWORD})
    morsel = response.cookies["sessionid"]
    assert morsel["max-age"] == "" and morsel["expires"] == ""
    assert morsel["httponly"] and morsel["samesite"] == "Lax"


def _through_middleware(set_cookie, secure=False):
    def view(request):
        response = HttpResponse("ok")
        set_cookie(response)
        return response

    request = RequestFactory().get("/", secure=secure)
    return DeclaredCookiesMiddleware(view)(request)


@pytest.mark.promise("CK-6")
def test_a_wrong_lifetime_is_overruled_by_the_declaration_and_logged(caplog):
    with use_profile("ducallier"), caplog.at_level(logging.WARNING, "hippocratic.cookies"):
        long = _through_middleware(lambda r: r.set_cookie("sessionid", "x", max_age=86400 * 14))
        short = _through_middleware(lambda r: r.set_cookie("preferences", "y", max_age=5))
    assert long.cookies["sessionid"]["max-age"] == "" and not long.cookies["sessionid"]["expires"]
    assert short.cookies["preferences"]["max-age"] == str(365 * 86400)
    assert short.cookies["preferences"]["expires"]
    assert "the policy declares one browser session" in caplog.text
    assert "the policy declares 365 day(s)" in caplog.text


@pytest.mark.promise("CK-6")
def test_declared_cookies_get_safe_flags_and_undeclared_ones_are_refused(caplog):
    with use_profile("dracon"), caplog.at_level(logging.ERROR, "hippocratic.cookies"):
        response = _through_middleware(
            lambda r: (r.set_cookie("preferences", "y"), r.set_cookie("tracker", "z")),
            secure=True,
        )
    morsel = response.cookies["preferences"]
    assert morsel["httponly"] and morsel["secure"] and morsel["samesite"] == "Lax"
    assert "tracker" not in response.cookies
    assert "refused to set undeclared cookie 'tracker'" in caplog.text


def test_a_deleted_cookie_passes_as_it_is():
    with use_profile("ducallier"):
        response = _through_middleware(lambda r: r.delete_cookie("remember_me"))
    assert response.cookies["remember_me"]["max-age"] == 0
