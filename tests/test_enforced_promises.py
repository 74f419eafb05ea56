"""A promise is enforced when a test proves it: the promises the apps declare are
exactly the promises some `promise(...)` test names, and `policy check` names every
promise a profile makes that no test proves."""

import importlib.util
import re
import subprocess
import sys

import pytest
from tests_paths import POLICIES, REPO

from hippocratic.capabilities import app_configs, enforced, owner_of
from hippocratic.policy import load_policy
from hippocratic.policy.cli import check
from hippocratic.policy.promises import CATALOGUE

PROFILES = ("dracon", "isp", "japoon", "quality", "ducallier")
UNENFORCED = re.compile(r"promises\[\d+\]: ([A-Z]+-\d+) is promised but not enforced")


def proved_by_tests() -> set[str]:
    spec = importlib.util.spec_from_file_location(
        "promise_table", REPO / "scripts" / "promise_table.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return set(module.proved_by_tests())


def test_declared_promises_are_exactly_the_tested_ones():
    tested = proved_by_tests()
    declared = enforced().promises
    assert declared - tested == set(), "declared as enforced, but no test proves it"
    assert tested - declared == set(), "proved by a test, but no app declares it"


def test_each_promise_has_one_owner():
    declared = [p for config in app_configs() for p in getattr(config, "promises", ())]
    assert len(declared) == len(set(declared))
    assert all(owner_of(p) for p in declared)
    assert owner_of("MSG-3") == "hippocratic.messaging"
    assert owner_of("COM-1") == "hippocratic.communications"
    assert owner_of("DIS-5") == "hippocratic.hosted"


@pytest.mark.parametrize("name", PROFILES)
def test_check_names_exactly_the_promises_no_test_proves(name, capsys):
    path = POLICIES / f"{name}.yaml"
    assert check([str(path)], enforced=enforced()) == 0
    out = capsys.readouterr().out
    named = set(UNENFORCED.findall(out))
    promised = set(load_policy(path).policy.promises)
    assert named == promised - proved_by_tests()
    for promise_id in named:
        assert (
            f"{promise_id} is promised but not enforced by this version of Hippocratic "
            "(warning) [unenforced-promise]"
        ) in out


@pytest.mark.parametrize("name", PROFILES)
def test_strict_check_fails_while_any_promise_is_unenforced(name, capsys):
    path = POLICIES / f"{name}.yaml"
    unkept = set(load_policy(path).policy.promises) - enforced().promises
    assert check([str(path)], enforced=enforced(), strict=True) == (1 if unkept else 0)
    out = capsys.readouterr().out
    assert all(f"{p} is promised but not enforced by this version" in out for p in unkept)


def test_strict_check_passes_a_policy_promising_only_what_is_enforced(tmp_path, capsys):
    text = (POLICIES / "dracon.yaml").read_text()
    kept = ", ".join(sorted(set(load_policy(POLICIES / "dracon.yaml").policy.promises)
                            & enforced().promises))  # fmt: skip
    text = re.sub(r"promises: \[.*?\]", f"promises: [{kept}]", text, count=1, flags=re.S)
    path = tmp_path / "kept.yaml"
    path.write_text(text)
    assert check([str(path)], enforced=enforced(), strict=True) == 0, capsys.readouterr().out


# A build without DIS-5, as an older version of Hippocratic was: every seed promise is
# enforced by this one, so the refusal is shown on a build that lacks one.
WITHOUT_DIS5 = (
    "import sys, hippocratic.capabilities as c; from hippocratic.policy.enforced import "
    "Enforced; full = c.enforced(); c.enforced = lambda: Enforced(promises=full.promises - "
    "{'DIS-5'}, cookies=full.cookies); from hippocratic.cli import main; "
    "sys.exit(main(['hippocratic', *sys.argv[1:]]))"
)


def test_console_check_strict_exits_1_with_the_message():
    path = str(POLICIES / "ducallier.yaml")
    kept = subprocess.run(
        [sys.executable, "-m", "hippocratic", "policy", "check", "--strict", path],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert kept.returncode == 0, kept.stdout  # this build keeps every promise Ducallier makes
    older = subprocess.run(
        [sys.executable, "-c", WITHOUT_DIS5, "policy", "check", "--strict", path],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert older.returncode == 1
    assert "DIS-5 is promised but not enforced by this version of Hippocratic" in older.stdout


def test_every_catalogue_promise_is_known_to_the_table():
    assert proved_by_tests() <= set(CATALOGUE)
