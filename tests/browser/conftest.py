"""Browser journeys in the system's Chromium (Debian's `chromium` package), driven by
pytest-playwright: no browser is downloaded. Where Chromium is not installed every
test here is skipped, with the reason. Screenshots of each page at a phone's width and
a desktop's are written to var/screenshots/ for a reviewer to look at."""

import os
import re
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test's thread; the tests' own ORM
# calls are still synchronous, one at a time.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("HIPPOCRATIC_CHROMIUM") or shutil.which("chromium") or ""
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
AXE = (Path(__file__).parent / "assets" / "axe.min.js").read_text(encoding="utf-8")
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
# WCAG 2.2 AA, as axe-core tags it.
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM and Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)")
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ["--no-sandbox"]}


@pytest.fixture
def site(live_server, settings):
    """The live site's address; its requests are marked secure as behind the TLS proxy."""
    settings.SECURE_SSL_REDIRECT = False
    return live_server.url


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
    return sorted(c["name"] for c in page.context.cookies())
