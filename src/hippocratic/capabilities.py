"""The capabilities of this build: each app declares, on its AppConfig, the promise
IDs its code enforces (`promises`) and the cookies its code sets (`cookies`).

They are read from the AppConfig classes themselves, not from Django's app
registry, so `hippocratic policy check` knows them without settings or a
database. The settings' INSTALLED_APPS list these same apps (APPS).

A test holds the declared promises equal to the promises that have a
`@pytest.mark.promise` test: a promise is enforced when a test proves it.
"""

import importlib
from functools import cache

from django.apps import AppConfig

from hippocratic.policy.enforced import Enforced

APPS = (
    "hippocratic.versions",
    "hippocratic.enforcement",
    "hippocratic.accounts",
    "hippocratic.billing",
    "hippocratic.messaging",
    "hippocratic.requests",
    "hippocratic.disclosure",
    "hippocratic.communications",
    "hippocratic.hosted",
    "hippocratic.sales",
    "hippocratic.tracking",
    "hippocratic.site",
    "hippocratic.jobs",
)


def app_configs() -> list[type[AppConfig]]:
    """The AppConfig class of each capability app, in APPS order."""
    found = []
    for app in APPS:
        module = importlib.import_module(f"{app}.apps")
        configs = [
            c for c in vars(module).values()
            if isinstance(c, type) and issubclass(c, AppConfig) and getattr(c, "name", None) == app
        ]  # fmt: skip
        if len(configs) != 1:
            raise LookupError(f"{app}.apps must define one AppConfig named {app!r}")
        found.append(configs[0])
    return found


@cache
def enforced() -> Enforced:
    """Every promise and cookie some app of this build declares."""
    configs = app_configs()
    return Enforced(
        promises=frozenset(p for c in configs for p in getattr(c, "promises", ())),
        cookies=frozenset(n for c in configs for n in getattr(c, "cookies", ())),
    )


def owner_of(promise_id: str) -> str | None:
    """The app that enforces a promise (None where none does)."""
    return next((c.name for c in app_configs() if promise_id in getattr(c, "promises", ())), None)
