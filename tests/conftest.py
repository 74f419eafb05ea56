"""Fixtures for every test package. What they build comes from factories.py."""

from pathlib import Path

import pytest
from django.test import Client
from factories import ADA, LMTPServer, customer_id, sign_up, staff_user
from tests_paths import POLICIES, PROFILES, use_profile

from hippocratic import provider
from hippocratic.accounts.models import Service
from hippocratic.policy import load_policy, loader
from hippocratic.policy.promises import CATALOGUE
from hippocratic.site.proof import POLICIES_PROPERTY


def pytest_collection_modifyitems(config, items):
    """A promise marker must name promises that exist, literally."""
    for item in items:
        for marker in item.iter_markers("promise"):
            unknown = [p for p in marker.args if p not in CATALOGUE]
            if unknown or not marker.args:
                raise pytest.UsageError(f"{item.nodeid}: unknown promise IDs {unknown}")


@pytest.fixture(params=PROFILES)
def profile(request):
    """The site under one seed profile for the whole test, and its name: each of the five,
    or those a test names with `@pytest.mark.parametrize("profile", [...], indirect=True)`."""
    with use_profile(request.param):
        yield request.param


@pytest.fixture(params=PROFILES)
def loaded_profile(request):
    """Each of the five seed profiles' policy, loaded (the site's own is left as it is)."""
    return load_policy(POLICIES / f"{request.param}.yaml")


@pytest.fixture
def policy_path():
    def path(name: str) -> Path:
        return POLICIES / f"{name}.yaml"

    return path


@pytest.fixture
def signed_up(db):
    """sign_up_as(username, person) -> (logged-in client, customer id)."""

    def make(username="ada", person=ADA, **extra):
        client = Client()
        response = sign_up(client, username, person, **extra)
        assert response.status_code == 302, response.context["form"].errors
        return client, customer_id(username)

    return make


@pytest.fixture
def hosting(db):
    return Service.objects.create(
        code="hosting", name="Web hosting", description="A site of your own.",
        monthly_price_cents=1500, currency="USD",
    )  # fmt: skip


@pytest.fixture
def staff_client(db):
    """staff_client(role, username=None, permissions=()) -> a Django test client logged in
    as a new staff member of that policy role (factories.staff_user makes them)."""

    def log_in(role: str | None, username: str | None = None, permissions=()) -> Client:
        client = Client()
        client.force_login(staff_user(role, username, permissions=permissions))
        return client

    return log_in


@pytest.fixture
def lmtp_server():
    """The site's LMTP server on 127.0.0.1, on a port it binds itself (port 0): its .host
    and .port to deliver to, .stop() to stop it before the test ends. A test using it runs
    with `django_db(transaction=True)`: the server writes from a thread of its own."""
    server = LMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _policies_in_force(request, monkeypatch):
    """Record the SHA-256 of every policy a test ran under (the profiles it used, or
    loaded), as the JUnit property `hippocratic prove` reads: a sentence on a profile's
    page is proved only by tests that ran under that profile's policy."""
    seen: set[str] = set()
    in_force, made = provider.loaded_policy, loader.LoadedPolicy

    def recorded_in_force():  # the policy in force, cached: asked for by the code
        loaded = in_force()
        seen.add(loaded.version)
        return loaded

    def recorded_made(*args, **kwargs):  # every policy read, however it was loaded
        loaded = made(*args, **kwargs)
        seen.add(loaded.version)
        return loaded

    recorded_in_force.cache_clear = in_force.cache_clear
    monkeypatch.setattr(provider, "loaded_policy", recorded_in_force)
    monkeypatch.setattr(loader, "LoadedPolicy", recorded_made)
    yield
    request.node.user_properties.append((POLICIES_PROPERTY, ",".join(sorted(seen))))


@pytest.fixture(autouse=True)
def _fresh_tracking_state():
    """Page views a test buffered but did not flush, and cached salts, end with it."""
    yield
    from hippocratic.tracking import visitors
    from hippocratic.tracking.services import page_view_buffer

    page_view_buffer().discard()
    visitors.clear_cache()
