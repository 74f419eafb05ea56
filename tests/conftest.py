from pathlib import Path

import pytest
from accounts.conftest import hosting, signed_up  # noqa: F401  (for every test package)
from tests_paths import POLICIES

from hippocratic import provider
from hippocratic.policy import load_policy, loader
from hippocratic.policy.promises import CATALOGUE
from hippocratic.site.proof import POLICIES_PROPERTY

PROFILES = ("dracon", "isp", "japoon", "quality", "ducallier")


def pytest_collection_modifyitems(config, items):
    """A promise marker must name promises that exist, literally."""
    for item in items:
        for marker in item.iter_markers("promise"):
            unknown = [p for p in marker.args if p not in CATALOGUE]
            if unknown or not marker.args:
                raise pytest.UsageError(f"{item.nodeid}: unknown promise IDs {unknown}")


@pytest.fixture(params=PROFILES)
def profile(request):
    """Each of the five seed profiles, loaded."""
    return load_policy(POLICIES / f"{request.param}.yaml")


@pytest.fixture
def policy_path():
    def path(name: str) -> Path:
        return POLICIES / f"{name}.yaml"

    return path


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
