"""Browser journeys in the system's Chromium (Debian's `chromium` package), driven by
pytest-playwright: no browser is downloaded. Where Chromium is not installed every
test here is skipped, with the reason. What the tests do with a page (axe, screenshots,
signing up) is in pages.py."""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test's thread; the tests' own ORM
# calls are still synchronous, one at a time.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("HIPPOCRATIC_CHROMIUM") or shutil.which("chromium") or ""


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
