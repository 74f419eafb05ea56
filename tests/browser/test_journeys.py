"""Journeys a customer and a staff member take, in a real browser, each page checked
with axe and photographed: JAPOON's whole account life, remember-me, a keyboard-only
sign-up, and staff from the traffic dashboard to an export."""

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from factories import ADA, PASSWORD
from tests_paths import use_profile

from hippocratic.accounts.models import Service

from .pages import cookies_of, look, sign_up


@pytest.mark.promise("ACC-7", "ACC-8")
def test_japoon_sign_up_card_subscribe_see_export_correct_log_out_in_and_erase(site, page):
    with use_profile("japoon"):
        Service.objects.create(code="hosting", name="Web hosting", description="A site.",
                               monthly_price_cents=1500, currency="USD")  # fmt: skip
        sign_up(page, site)
        look(page, "japoon account")
        page.goto(site + "/account/billing/card/")
        look(page, "add a card")
        page.fill("[name=number]", "4242 4242 4242 4242")
        page.fill("[name=exp_month]", "12")
        page.fill("[name=exp_year]", "2031")
        page.fill("[name=cvc]", "123")
        for name, value in (("billing_name", "A. Lovelace"), ("billing_address", "London")):
            if page.locator(f"[name={name}]").count():
                page.fill(f"[name={name}]", value)
        page.get_by_role("button", name="Add the card").click()
        page.wait_for_load_state()
        assert "4242" in page.content()
        look(page, "billing")
        page.goto(site + "/account/services/")
        look(page, "services")
        page.get_by_role("button", name="Choose Web hosting").click()
        page.wait_for_load_state()
        assert "Web hosting" in page.content()
        page.goto(site + "/account/data/")
        look(page, "everything we hold")
        assert ADA["name"] in page.content() and "created_at" not in page.content()
        assert "Added a card" in page.content() and "card_added" not in page.content()
        with page.expect_download() as got:
            page.get_by_role("link", name="Download it all (JSON)").click()
        exported = json.loads(Path(got.value.path()).read_text())
        assert exported["customer"]["name"] == ADA["name"]
        page.goto(site + "/account/profile/")
        look(page, "your details")
        page.fill("[name=phone]", "+44 20 7946 0099")
        page.get_by_role("button", name="Save").click()
        page.wait_for_load_state()
        page.goto(site + "/account/data/")
        assert "+44 20 7946 0099" in page.content()
        page.goto(site + "/account/")
        page.get_by_role("button", name="Log off").click()
        page.wait_for_load_state()
        assert "sessionid" not in cookies_of(page)
        page.goto(site + "/account/login/")
        look(page, "log in")
        page.fill("[name=username]", "ada")
        page.fill("[name=password]", PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/account/")
        page.goto(site + "/account/erase/")
        look(page, "erase")
        page.fill("#confirm", "ERASE")
        page.get_by_role("button", name="Erase my account").click()
        page.wait_for_load_state()
        assert "sessionid" not in cookies_of(page)
        assert not User.objects.filter(username="ada").exists()


@pytest.mark.promise("CK-4")
def test_remember_me_keeps_a_customer_signed_in_after_the_browser_closes(site, browser):
    with use_profile("ducallier"):
        first = browser.new_context()
        page = first.new_page()
        sign_up(page, site)
        page.get_by_role("button", name="Log off").click()
        page.goto(site + "/account/login/")
        page.fill("[name=username]", "ada")
        page.fill("[name=password]", PASSWORD)
        page.get_by_label("Remember me").check()
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/account/")
        kept = [c for c in first.cookies() if c["name"] == "remember_me"]
        assert kept and kept[0]["expires"] > 0  # outlives the browser session
        # A new browser session with only the persistent cookie is signed in again.
        second = browser.new_context()
        second.add_cookies(kept)
        again = second.new_page()
        again.goto(site + "/account/")
        assert "Log off" in again.content()
        first.close()
        second.close()


def test_a_keyboard_alone_signs_up(site, page):
    with use_profile("ducallier"):
        page.goto(site + "/")
        page.keyboard.press("Tab")  # the skip link comes first on every page
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.goto(site + "/account/sign-up/")
        fields = page.locator("form input:not([type=hidden]), form textarea, form select")
        # A group of radio buttons is one stop for Tab.
        names = list(dict.fromkeys(fields.nth(i).get_attribute("name")
                                   for i in range(fields.count())))  # fmt: skip
        values = {"username": "kay", "password1": PASSWORD, "password2": PASSWORD, **ADA}
        # The form starts in its first field; Tab walks the fields in order, then the button.
        for name in names:
            assert page.evaluate("document.activeElement.name") == name
            if name in values:
                page.keyboard.type(values[name])
            elif name == "terms":  # a checkbox is ticked with the space bar
                page.keyboard.press("Space")
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Create my account"
        page.keyboard.press("Enter")
        page.wait_for_url("**/account/")
        assert User.objects.filter(username="kay").exists()


@pytest.mark.promise("VIS-7")
def test_staff_log_in_read_the_traffic_dashboard_and_export_for_a_recipient(site, page):
    with use_profile("ducallier"):
        User.objects.create_superuser("root", password=PASSWORD)
        page.goto(site + "/admin/login/?next=/staff/traffic/")
        page.fill("[name=username]", "root")
        page.fill("[name=password]", PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/staff/traffic/**")
        look(page, "traffic dashboard")
        export = page.get_by_role("button", name="Export").first
        if not export.count():
            export = page.get_by_role("link", name="Export").first
        with page.expect_download() as got:
            export.click()
        assert got.value.suggested_filename
