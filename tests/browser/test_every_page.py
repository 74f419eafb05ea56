"""Every page a visitor, a customer or a staff member reaches, in each profile, passes
axe-core's WCAG 2.2 AA rules with no serious or critical violation, and is
photographed at a phone's and a desktop's width."""

from django.contrib.auth.models import User
from factories import PASSWORD

from hippocratic.accounts.models import Service
from hippocratic.messaging import inbound
from hippocratic.provider import current_policy

from .pages import look, sign_up

VISITOR = ["/", "/privacy/", "/privacy/versions/", "/account/login/", "/account/sign-up/",
           "/account/inquiry/", "/transparency/", "/privacy/questions/", "/report-harm/",
           "/mail/join/", "/terms/", "/contact/", "/no-such-page/"]  # fmt: skip
CUSTOMER = ["/account/", "/account/data/", "/account/profile/", "/account/requests/",
            "/account/choices/", "/account/billing/", "/account/billing/card/",
            "/account/services/", "/account/mail/", "/account/mail/1/", "/apps/records/",
            "/account/access/", "/account/erase/", "/account/organisation/"]  # fmt: skip
STAFF = ["/staff/", "/staff/traffic/", "/staff/access/"]


def visit(page, site, path: str, who: str, profile: str) -> bool:
    response = page.goto(site + path)
    if response.status == 404 and path != "/no-such-page/":
        return False  # this profile has no such page
    look(page, f"{profile} {who} {path}")
    return True


def test_every_page_passes_axe(site, page, browser, profile):
    Service.objects.create(code="hosting", name="Web hosting", description="A site.",
                           monthly_price_cents=1500, currency="USD")  # fmt: skip
    seen = [p for p in VISITOR if visit(page, site, p, "visitor", profile)]
    sign_up(page, site)
    domain = current_policy().communications.mailbox_domain  # Ducallier keeps no mailboxes
    if domain:
        inbound.receive(b"From: Friend <f@friend.example>\r\nSubject: Hello\r\n"
                        b"Message-ID: <a@b>\r\n\r\nHi Ada.\r\n", [f"ada@{domain}"])  # fmt: skip
    seen += [p for p in CUSTOMER if visit(page, site, p, "customer", profile)]
    User.objects.create_superuser("root", password=PASSWORD)
    staff = browser.new_context().new_page()
    staff.goto(site + "/admin/login/")
    staff.fill("[name=username]", "root")
    staff.fill("[name=password]", PASSWORD)
    staff.get_by_role("button", name="Log in").click()
    staff.wait_for_load_state()
    seen += [p for p in STAFF if visit(staff, site, p, "staff", profile)]
    assert len(seen) >= 15, seen
