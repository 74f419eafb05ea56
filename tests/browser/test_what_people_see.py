"""What people see (issue 32), on every page a visitor, a customer and a staff member
reach, on every profile: at a phone's width (390 px) no page is wider than the screen
and no link is out of sight; no visible text is a taxonomy key or a model's attribute
name; every date is written the visitor's locale's one way; the navigation marks the
page it is on. The first test plants each fault in a page and shows its check catches it.

Each profile is crawled whole (the admin's index, every list, add and change page it
leads to) in another of the site's languages (LOCALES: the browser asks for it, as a
visitor's does), so every locale's dates are checked on every kind of page.

Screenshots: HIPPOCRATIC_SCREENSHOTS=1 writes every page at 390 and 1280 px under
var/screenshots/<profile>-<locale>/ for review (off by default: it doubles the run)."""

import datetime as dt
import os
import re

import pytest
from django.contrib.auth.models import User
from django.utils import translation
from django.utils.formats import date_format
from factories import PASSWORD, billed, customer_id, running_since

from hippocratic.accounts.models import Service
from hippocratic.enforcement.actors import Actor
from hippocratic.messaging import inbound
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose
from hippocratic.requests import choices, services
from hippocratic.site.management.commands.demo import DEMO_SERVICES

from . import face
from .pages import DESKTOP, PHONE, SHOTS, serious_violations, sign_up
from .test_every_page import CUSTOMER as AXED_CUSTOMER
from .test_every_page import STAFF as AXED_STAFF
from .test_every_page import VISITOR as AXED_VISITOR

# The language each profile's crawl asks for: every one the site speaks (settings.LANGUAGES).
LOCALES = {"ducallier": "en-US", "dracon": "en-GB", "isp": "en-AU", "japoon": "en-CA",
           "quality": "en-IE"}  # fmt: skip
SCREENSHOTS = os.environ.get("HIPPOCRATIC_SCREENSHOTS", "") not in ("", "0")
# The README's tour: a page's first screen at one width, under var/screenshots/tour/
# (scripts/tour_screenshots.sh copies them to docs/tour/, made smaller).
TOUR = {("ducallier", "/"): "home", ("ducallier", "/privacy/"): "privacy",
        ("ducallier", "/account/data/"): "your-data", ("ducallier", "/admin/"): "staff-admin",
        ("japoon", "/transparency/"): "transparency"}  # fmt: skip

VISITOR = ["/", "/privacy/", "/privacy/versions/", "/account/login/", "/account/sign-up/",
           "/account/inquiry/", "/transparency/", "/privacy/questions/",
           "/report-harm/", "/mail/join/", "/preferences/", "/no-such-page/",
           "/account/recover/", "/contact/"]  # fmt: skip
CUSTOMER = ["/account/", "/account/data/", "/account/profile/", "/account/requests/",
            "/account/choices/", "/account/billing/", "/account/billing/card/",
            "/account/services/", "/account/mail/", "/account/mail/1/", "/apps/records/",
            "/account/access/", "/account/erase/", "/account/organisation/",
            "/account/close/", "/account/recovery-codes/"]  # fmt: skip
STAFF = ["/staff/", "/staff/traffic/", "/staff/access/", "/mail/outbox/", "/admin/",
         "/admin/requests/request/report/", "/admin/billing/invoice/revenue/"]  # fmt: skip


# Other projects' admin pages (axes' login records, django-tasks' queue) show their own
# field values (a task's dotted path); the words check leaves them out, the width and
# date checks do not.
THIRD_PARTY = ("/admin/axes/", "/admin/django_tasks_database/")


# The site's own pages a link leads to: a path, no query; not a file (a download: a
# message's .eml, the figures' .csv), the API, the admin (crawled from its index), a
# logout or a link that acts (/go/: an affiliate's).
LINKS = (
    "() => [...document.querySelectorAll('a[href^=\"/\"]:not([download])')]"
    ".map(a => a.getAttribute('href'))"
)
FOLLOWED = re.compile(r"/(?!admin/|api/|go/|static/|media/)(?![^?#]*logout)(?![^?#]*\.\w+$)[^?#]*")


AXED = {*AXED_VISITOR, *AXED_CUSTOMER, *AXED_STAFF}


class Findings:
    """What each page got wrong, gathered over the crawl and reported at once."""

    def __init__(self, profile: str, locale: str):
        self.profile, self.locale, self.found, self.seen = profile, locale, [], []
        self.linked: list[str] = []  # the site's pages linked from those seen, in order
        # A cookie's name is what a person looks for in their browser: shown as it is.
        self.attributes = face.attribute_names()
        self.cookies = {c.name for c in current_policy().cookies}

    def check(self, page, path: str, who: str) -> None:
        where = f"{self.profile} {who} {path}"
        page.set_viewport_size(PHONE)
        if (extra := face.overflow(page)) > 0:
            self.found.append(f"{where}: {extra} px wider than a 390 px phone")
        if not path.startswith("/admin/") and (out := face.clipped(page)):
            self.found.append(f"{where}: out of sight at 390 px: {out[:3]}")
        # axe on the pages test_every_page.py does not list: the admin's, and those the
        # crawl found by following links.
        if path not in AXED and (violations := serious_violations(page)):
            self.found.append(f"{where}: axe {violations[:3]}")
        text = face.visible_text(page)
        if path.startswith(THIRD_PARTY):
            text = ""  # their own admin pages: see THIRD_PARTY
        if raw := [n for n in face.raw_names(text, self.attributes) if n not in self.cookies]:
            self.found.append(f"{where}: raw names {raw[:6]}")
        if dates := face.wrong_dates(face.visible_text(page), self.locale):
            self.found.append(f"{where}: dates not in {self.locale}'s style {dates[:4]}")
        if (wrong := face.wrongly_marked(page, path)) and not path.startswith("/admin/"):
            self.found.append(f"{where}: navigation {wrong}")
        if SCREENSHOTS:
            folder = SHOTS / f"{self.profile}-{self.locale.lower()}"
            folder.mkdir(parents=True, exist_ok=True)
            slug = re.sub(r"[^a-z0-9]+", "-", f"{who} {path}".lower()).strip("-")
            page.screenshot(path=str(folder / f"{slug}-phone.png"), full_page=True)
            page.set_viewport_size(DESKTOP)
            page.screenshot(path=str(folder / f"{slug}-desktop.png"), full_page=True)
            page.set_viewport_size(PHONE)
            if name := TOUR.get((self.profile, path)):
                for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
                    page.set_viewport_size(size)
                    (SHOTS / "tour").mkdir(exist_ok=True)
                    page.screenshot(path=str(SHOTS / "tour" / f"{name}-{label}.png"))
                page.set_viewport_size(PHONE)

    def follow(self, page, site, who: str, *, limit: int = 40) -> None:
        """Every page of the site a page seen links to, and those pages' links in turn
        (pages added later are crawled without being listed here), up to `limit`."""
        tried = set(self.seen)
        while limit > 0 and (todo := [h for h in self.linked if h not in tried]):
            tried.add(todo[0])
            limit -= 1
            self.visit(page, site, todo[0], who)

    def visit(self, page, site, path: str, who: str) -> bool:
        response = page.goto(site + path)
        if response.status in (403, 404) and path != "/no-such-page/":
            return False  # not a page of this profile, or of this role
        if response.status >= 500:
            self.found.append(f"{self.profile} {who} {path}: error {response.status}")
            return False
        if not response.headers.get("content-type", "").startswith("text/html"):
            return False  # data for programs (the signed heads' JSON), not a page
        self.seen.append(path)
        self.check(page, path, who)
        for link in page.evaluate(LINKS):
            if FOLLOWED.fullmatch(link) and link not in self.linked:
                self.linked.append(link)
        return True


def test_each_check_catches_a_planted_fault(page):
    """A page with each fault planted: each check reports it; a clean page passes."""
    page.set_viewport_size(PHONE)
    page.set_content(
        "<header><nav><a href='/'>Home</a><a href='/account/' aria-current='page'>Account"
        "</a></nav></header><main><p>x</p></main>"
    )
    assert face.overflow(page) == 0
    assert face.wrongly_marked(page, "/account/billing/") == ""
    assert face.wrongly_marked(page, "/") != ""
    page.set_content(
        "<header><nav><a href='/' aria-current='page'>Home</a><a href='/account/'>Account"
        "</a></nav></header><main><table><tr><td style='white-space:nowrap'>"
        + "wide " * 40
        + "</td><td><a href='/x'>Subject</a></td></tr></table></main>"
    )
    assert face.overflow(page) > 0
    assert face.wrongly_marked(page, "/account/") != ""
    page.set_content(
        "<main><div style='overflow-x:auto'><table style='width:900px'><tr><td>a</td>"
        "<td style='padding-left:600px'><a href='/m/1/'>Subject</a></td></tr></table></div></main>"
    )
    assert face.overflow(page) == 0 and face.clipped(page) == ["Subject"]
    attributes = {"customer_id", "last4", "audit_seqs"}
    assert face.raw_names("You said no to: marketing.communications.email", attributes)
    assert face.raw_names("Erased except (user.financial.credit_card)", attributes)
    assert face.raw_names("Payment method: last4", attributes) == ["last4"]
    assert face.raw_names("Customer id: customer_id", attributes) == ["customer_id"]
    assert face.raw_names("Write to user.name@example.com at marketing.example.com", set()) == []
    assert face.raw_names("You said no to: marketing by e-mail.", attributes) == []
    for wrong in ("Dec. 3, 2026, 6:43 a.m.", "3 December 2026", "2026-12-03",
                  "Thu, 03 Dec 2026 06:50:00 +0000", "Dec 3, 2026", "3 December"):  # fmt: skip
        assert face.wrong_dates(f"Sent {wrong}.", "en-US"), wrong
    assert face.wrong_dates("Sent December 3, 2026, 6:43\u202fAM and May 4, 2001.", "en-US") == []
    assert face.wrong_dates("Sent 3 December 2026, 06:43.", "en-GB") == []
    assert face.wrong_dates("Sent 3 December 2026, 06:43 by Ada", "en-GB") == []
    assert face.wrong_dates("Sent December 3, 2026.", "en-GB")
    assert face.wrong_dates("Sent 3 December 2026, 6:43 AM.", "en-GB")  # en-AU's time
    assert face.wrong_dates("Sent 3 December 2026, 6:43 AM.", "en-AU") == []
    assert face.wrong_dates("Sent December 3, 2026, 6:43 a.m.", "en-CA") == []
    assert face.wrong_dates("Sent December 3, 2026, 6:43 AM.", "en-CA")
    # Each locale's own dates, as the site writes them, pass; the other style is caught.
    when = dt.datetime(2026, 12, 3, 16, 43, tzinfo=dt.UTC)
    for locale in LOCALES.values():
        with translation.override(face.language(locale)):
            shown = {style: date_format(when, style) for style in face.STYLES}
        text = "; ".join(f"Sent {v}" for v in shown.values())
        assert face.wrong_dates(text, locale) == [], (locale, shown)
        other = "3 December 2026" if shown["DATE_FORMAT"].startswith("December") \
            else "December 3, 2026"  # fmt: skip
        assert face.wrong_dates(f"Sent {other}.", locale) == [other], locale
    # The language the site answered in is the one the browser asked for.
    page.set_content("<html lang='en'><body><main>x</main></body></html>")
    assert face.language_of(page) == "en"


def _customer_side(cid: int) -> None:
    """A customer's refusals and a question: what /account/data/ and /account/requests/
    show in words."""
    me = Actor.for_customer(cid)
    wanted = {o.key: False for o in choices.options()}
    if wanted:
        choices.change(cid, wanted, by=me, channel="portal")
    services.ask("What do you keep about me?", sender="ada@lovelace.example", customer_id=cid)


def _seed(cid: int) -> None:
    """What the staff's lists and the customer's billing page show: a subscription and,
    where the provider takes payment, its first invoice."""
    running_since(cid, service=Service.objects.get(code="hosting"))
    if Purpose.PAYMENT in current_policy().purposes:
        billed(cid)


def crawl(site, browser, profile: str, locale: str) -> Findings:
    findings = Findings(profile, locale)
    for code, name, description, cents in DEMO_SERVICES:  # the demo's catalogue
        Service.objects.get_or_create(code=code, defaults={
            "name": name, "description": description, "monthly_price_cents": cents})  # fmt: skip
    page = browser.new_context(locale=locale).new_page()
    for path in VISITOR:
        findings.visit(page, site, path, "visitor")
    findings.follow(page, site, "visitor")
    page.goto(site + "/")
    if (spoken := face.language_of(page)) != face.language(locale):
        findings.found.append(f"{profile}: asked for {locale}, the site answered in {spoken}")
    sign_up(page, site)
    cid = customer_id("ada")
    _customer_side(cid)
    _seed(cid)
    comms = current_policy().communications
    if comms and comms.mailbox_domain:
        inbound.receive(b"From: Friend <f@friend.example>\r\nSubject: Hello\r\n"
                        b"Date: Thu, 03 Dec 2026 06:50:00 +0000\r\n"
                        b"Message-ID: <a@b>\r\n\r\nHi Ada.\r\n",
                        [f"ada@{comms.mailbox_domain}"])  # fmt: skip
    for path in CUSTOMER:
        findings.visit(page, site, path, "customer")
    findings.follow(page, site, "customer")
    User.objects.create_superuser("root", password=PASSWORD)
    staff = browser.new_context(locale=locale).new_page()
    staff.goto(site + "/admin/login/")
    staff.fill("[name=username]", "root")
    staff.fill("[name=password]", PASSWORD)
    staff.get_by_role("button", name="Log in").click()
    staff.wait_for_load_state()
    for path in STAFF:
        findings.visit(staff, site, path, "staff")
    findings.follow(staff, site, "staff")
    # Every list and add page the admin's index links, and the first record's change page
    # of every list that has one.
    staff.goto(site + "/admin/")
    links = staff.evaluate(
        "() => [...document.querySelectorAll('#content-main a')].map(a => a.getAttribute('href'))"
    )
    for path in sorted({h for h in links if h.startswith("/admin/")} - set(STAFF)):
        if findings.visit(staff, site, path, "staff") and path.endswith("/add/") is False:
            change = staff.evaluate(
                "() => { const a = document.querySelector('#result_list tbody a[href]');"
                " return a ? a.getAttribute('href') : null; }"
            )
            if change and change.startswith("/admin/"):
                findings.visit(staff, site, change, "staff")
    return findings


@pytest.mark.parametrize("profile", list(LOCALES), indirect=True)
def test_every_page_fits_a_phone_in_words_and_dates_people_read(site, browser, profile):
    findings = crawl(site, browser, profile, LOCALES[profile])
    assert findings.found == [], "\n" + "\n".join(findings.found)
    changes = [p for p in findings.seen if re.fullmatch(r"/admin/.+/\d+/change/", p)]
    assert len(findings.seen) >= 40 and len(changes) >= 5, findings.seen
