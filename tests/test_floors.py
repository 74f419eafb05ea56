"""The floors contract (README, "Floors"): the code holds to each rule in `floors.RULES`,
and each rule catches a violation planted in source of its own, read by the same parser.
Who may say `decided_elsewhere()` is held in tests/enforcement/test_no_back_doors.py."""

import pytest
from floors import (
    CORE,
    DOMAIN,
    DYNAMIC_IMPORTS,
    ENFORCEMENT,
    INTERFACE,
    PROVIDER,
    RULES,
    circles,
    climbs,
    dynamic_imports,
    floor,
    hidden_imports,
    package_sources,
    private_doors,
    project_imports,
    read_imports,
    sideways,
)
from tests_paths import REPO

SRC = REPO / "src"


@pytest.fixture(scope="module")
def imports():
    return project_imports(SRC)


@pytest.mark.parametrize("rule", RULES)
def test_the_code_keeps_to_its_floors(imports, rule):
    assert RULES[rule](imports) == []


def test_the_graph_is_read_whole(imports):
    """A parser that missed imports would pass every rule: it sees the gateway used by
    every domain app and the policy core used by the provider."""
    users_of_gateway = {i.source.split(".")[1] for i in imports
                        if i.target == "hippocratic.enforcement.gateway"}  # fmt: skip
    assert {"accounts", "messaging", "disclosure", "tracking"} <= users_of_gateway
    assert any(i.source == "hippocratic.provider" and i.target.startswith("hippocratic.policy")
               for i in imports)  # fmt: skip
    assert len(imports) > 500


@pytest.mark.parametrize(
    "module, expected",
    [
        ("hippocratic.policy.render", CORE),
        ("hippocratic.registry", CORE),
        ("hippocratic.provider", PROVIDER),
        ("hippocratic.versions.publishing", PROVIDER),
        ("hippocratic.versions.apps", INTERFACE),
        ("hippocratic.enforcement.gateway", ENFORCEMENT),
        ("hippocratic.enforcement.admin", INTERFACE),
        ("hippocratic.accounts.models", DOMAIN),
        ("hippocratic.billing.tasks", INTERFACE),
        ("hippocratic.messaging.management.commands.messaging", INTERFACE),
        ("hippocratic.site.checks", INTERFACE),
        ("hippocratic.urls", INTERFACE),
    ],
)
def test_each_module_has_its_floor(module, expected):
    assert floor(module) == expected


# --- Each rule, shown a violation -----------------------------------------------------

KNOWN = {
    "hippocratic.messaging.inbound.views",
    "hippocratic.policy.render",
    "hippocratic.enforcement.gateway",
    "hippocratic.accounts.models",
    "hippocratic.accounts.services",
    "hippocratic.billing.models",
    "hippocratic.billing.services",
    "hippocratic.billing.views",
    "hippocratic.messaging.models",
    "hippocratic.messaging.services",
    "hippocratic.messaging.tasks",
    "hippocratic.sales.admin",
    "hippocratic.sales.views",
}


def planted(module: str, source: str, is_package: bool = False):
    return read_imports(module, source, KNOWN, is_package)


def test_climbing_is_caught():
    bad = planted("hippocratic.policy.render", "from hippocratic.accounts import models\n")
    assert climbs(bad) == [
        "hippocratic.policy.render:1 (core) imports hippocratic.accounts.models (domain)"
    ]
    relative = planted("hippocratic.enforcement.gateway", "from ..billing.services import x\n")
    assert [i.target for i in relative] == ["hippocratic.billing.services"]
    assert climbs(relative)
    assert climbs(planted("hippocratic.billing.services", "import hippocratic.policy.render")) == []


def test_reaching_sideways_is_caught():
    into_services = planted(
        "hippocratic.billing.services", "from hippocratic.messaging import services\n"
    )
    assert sideways(into_services) == [
        "hippocratic.billing.services:1 reaches into hippocratic.messaging.services"
    ]
    ok = planted("hippocratic.billing.services", "from hippocratic.messaging.services import x\n"
                 "from hippocratic.accounts.services import y\n")  # fmt: skip
    # the first reaches sideways; the second goes down to accounts, which is allowed
    assert sideways(ok) == [
        "hippocratic.billing.services:1 reaches into hippocratic.messaging.services"
    ]
    assert (
        sideways(
            planted("hippocratic.billing.services", "from hippocratic.accounts.models import C\n")
        )
        == []
    )


def test_another_apps_doors_are_caught():
    bad = planted("hippocratic.sales.views", "from hippocratic.billing.views import card\n"
                  "from hippocratic.messaging import tasks\n")  # fmt: skip
    assert private_doors(bad) == [
        "hippocratic.sales.views:1 imports another app's views: hippocratic.billing.views",
        "hippocratic.sales.views:2 imports another app's tasks: hippocratic.messaging.tasks",
    ]
    own = planted("hippocratic.billing.views", "from hippocratic.billing import services\n")
    assert private_doors(own) == []


def test_an_import_hidden_in_a_function_is_caught():
    source = (
        "from django.apps import AppConfig\n"
        "class BillingConfig(AppConfig):\n"
        "    def ready(self):\n"
        "        from hippocratic.billing import services\n"
        "def later():\n"
        "    import hippocratic.messaging.services\n"
        "class Other:\n"
        "    def method(self):\n"
        "        f = lambda: __import__('os')\n"
        "        from hippocratic.accounts.models import Customer\n"
    )
    found = hidden_imports(planted("hippocratic.billing.apps", source))
    assert found == [
        "hippocratic.billing.apps:6 imports hippocratic.messaging.services inside later()",
        "hippocratic.billing.apps:10 imports hippocratic.accounts.models inside method()",
    ]


def test_a_circle_is_caught():
    loop = [
        *planted("hippocratic.billing.services", "from hippocratic.messaging.services import x\n"),
        *planted("hippocratic.messaging.services", "from hippocratic.accounts.services import y\n"),
        *planted("hippocratic.accounts.services", "from hippocratic.billing import services\n"),
        *planted("hippocratic.sales.views", "from hippocratic.billing import services\n"),
    ]
    assert circles(loop) == [
        ["hippocratic.accounts.services", "hippocratic.billing.services",
         "hippocratic.messaging.services"]
    ]  # fmt: skip
    assert circles(loop[1:]) == []


def test_no_import_by_name_outside_those_argued_for():
    assert dynamic_imports(package_sources(SRC)) == []
    assert all(reason for reason in DYNAMIC_IMPORTS.values())


def test_an_import_by_name_is_caught():
    planted = {"policy/render.py": "import importlib\n"
               "def later():\n    return importlib.import_module('hippocratic.accounts.models')\n",
               "billing/services.py": "from django.apps import apps\n"
               "Customer = apps.get_model('accounts', 'Customer')\n"}  # fmt: skip
    assert dynamic_imports(planted) == [
        "billing/services.py:2 imports by name (get_model)",
        "policy/render.py:3 imports by name (import_module)",
    ]


def test_a_door_nested_in_a_subpackage_is_a_door():
    assert floor("hippocratic.messaging.inbound.views") == INTERFACE
    bad = planted("hippocratic.sales.views", "from hippocratic.messaging.inbound import views\n")
    assert private_doors(bad) == [
        "hippocratic.sales.views:1 imports another app's views: hippocratic.messaging.inbound.views"
    ]


def test_the_lowest_app_uses_no_model_of_a_higher_one():
    bad = planted("hippocratic.accounts.services", "from hippocratic.billing.models import X\n")
    assert sideways(bad) == ["hippocratic.accounts.services:1 climbs to hippocratic.billing.models"]
