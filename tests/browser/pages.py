"""What the browser tests do with a page: check it with axe-core, keep screenshots of it
at a phone's width and a desktop's (var/screenshots/, for a reviewer to look at), read
its cookies, and sign up through it."""

import re
from pathlib import Path

from factories import ADA, PASSWORD

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
AXE = (Path(__file__).parent / "assets" / "axe.min.js").read_text(encoding="utf-8")
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
# WCAG 2.2 AA, as axe-core tags it.
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def serious_violations(page) -> list[str]:
    """axe-core run in the page: the serious and critical WCAG 2.2 AA violations."""
    page.evaluate(AXE)
    found = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3)
                .map(n => n.target.join(' ')).join(', ')}`);
        }""",
        WCAG,
    )
    return list(found)


def look(page, name: str) -> None:
    """Check the page with axe, and keep a screenshot at a phone's and a desktop's width."""
    assert serious_violations(page) == [], f"{name}: {page.url}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    size = page.viewport_size
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(SHOTS / f"{slug}-{label}.png"), full_page=True)
    if size:
        page.set_viewport_size(size)


def cookies_of(page) -> list[str]:
    """The names of the cookies the browser holds."""
    return sorted(c["name"] for c in page.context.cookies())


def sign_up(page, site, username="ada", person=ADA):
    """Sign up on the sign-up page, as a person types it, checking the page with axe."""
    page.goto(site + "/account/sign-up/")
    look(page, "sign up")
    page.fill("input[name=username]", username)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    for name, value in person.items():
        field = page.locator(f"[name={name}]")
        if field.count():
            field.fill(value)
    terms = page.locator("input[name=terms]")
    if terms.count():  # the terms, where the provider has them (issue 31)
        terms.check()
    page.get_by_role("button", name="Create my account").click()
    # Where the policy keeps no address, sign-up shows the recovery codes first (issue 31).
    page.wait_for_url(re.compile(r".*/account/(recovery-codes/)?$"))
    if page.url.endswith("/recovery-codes/"):
        look(page, "recovery codes")
        page.get_by_role("link", name="I have kept them: go to my account").click()
        page.wait_for_url("**/account/")
