"""Issue 31: every substantive sentence of each seed is accounted for in its table
(policies/seeds/<profile>.yaml): a promise the profile makes and a test proves, a notice
the profile's page carries, or the reason the software leaves it out. The splitting rule
and what "substantive" means are in hippocratic.policy.seeds."""

import re
import shutil

import pytest
from django.core.management import call_command
from tests_paths import POLICIES, PROFILES, REPO

from hippocratic.policy import load_policy
from hippocratic.policy.promises import CATALOGUE
from hippocratic.policy.seeds import (
    load_table,
    not_in_seed,
    seed_text,
    sentences,
    substantive,
    unaccounted,
)
from hippocratic.site.proof import promise_tests

SEEDS = POLICIES / "seeds"
# The seed each profile models (as tests/policy/test_profiles.py has it).
SEED_OF = {"dracon": "000", "isp": "001", "japoon": "002", "quality": "003", "ducallier": "004"}
# The originals, where the checkout sits beside them (the copies in the repo must be theirs).
ORIGINALS = REPO.parent / "shared" / "seeds"
MARKED = promise_tests(REPO / "tests")


def junit(path, node_ids, failing=frozenset(), *, policies):
    """A JUnit XML report as pytest writes it: one case per test, run under `policies`."""
    cases = []
    for node in node_ids:
        module, name = node.split("::")
        classname = module.removesuffix(".py").replace("/", ".")
        body = '<failure message="broken">x</failure>' if node in failing else ""
        properties = f'<properties><property name="policies" value="{policies}"/></properties>'
        cases.append(
            f'<testcase classname="{classname}" name="{name}[a]">{properties}{body}</testcase>'
        )
    path.write_text(f"<testsuites><testsuite>{''.join(cases)}</testsuite></testsuites>")
    return path


def _table(name):
    return load_table(SEEDS / f"{name}.yaml")


@pytest.mark.parametrize("name", PROFILES)
def test_each_profile_has_the_table_of_its_own_seed(name):
    table = _table(name)
    assert table.seed.startswith(SEED_OF[name] + "_")
    assert (SEEDS / "text" / table.seed).is_file()
    if ORIGINALS.is_dir():
        assert seed_text(table, SEEDS) == (ORIGINALS / table.seed).read_text()


@pytest.mark.parametrize("name", PROFILES)
def test_every_substantive_sentence_of_the_seed_is_in_the_table(name):
    table = _table(name)
    missing = unaccounted(table, seed_text(table, SEEDS))
    assert not missing, f"{name}: no row for {missing}"


@pytest.mark.parametrize("name", PROFILES)
def test_every_row_is_words_of_the_seed_and_covers_a_sentence_of_it(name):
    table = _table(name)
    text = seed_text(table, SEEDS)
    assert not not_in_seed(table, text), f"{name}: rows the seed does not say"
    pieces = [s for s in sentences(text) if substantive(s)]
    idle = [e.text for e in table.entries if not any(p in e.text or e.text in p for p in pieces)]
    assert not idle, f"{name}: rows that are no sentence of the seed: {idle}"
    assert len({e.text for e in table.entries}) == len(table.entries), f"{name}: a row twice"


@pytest.mark.parametrize("name", PROFILES)
def test_every_promise_is_known_made_by_the_profile_and_marked_on_a_test(name):
    policy = load_policy(POLICIES / f"{name}.yaml").policy
    for entry in _table(name).entries:
        for promise in entry.promises:
            assert promise in CATALOGUE, f"{name}: {promise} is no promise ({entry.text!r})"
            assert policy.makes(promise), f"{name} does not make {promise} ({entry.text!r})"
            assert MARKED.get(promise), f"no test is marked with {promise}"


@pytest.mark.parametrize("name", PROFILES)
def test_every_notice_is_one_the_profile_publishes(name):
    notices = {n.title: n.text for n in load_policy(POLICIES / f"{name}.yaml").policy.notices}
    for entry in _table(name).entries:
        if entry.kind == "notice":
            assert entry.note in notices, f"{name} has no notice {entry.note!r}"
            # The notice says what the sentence says: most of its words are the notice's.
            words = set(re.findall(r"[a-z]{4,}", entry.text.lower()))
            said = set(re.findall(r"[a-z]{4,}", notices[entry.note].lower()))
            assert len(words & said) >= 0.6 * len(words), (
                f"{entry.note!r} does not say {entry.text!r}"
            )


@pytest.mark.parametrize("name", PROFILES)
def test_every_sentence_left_out_says_why(name):
    for entry in _table(name).entries:
        if entry.kind == "left_out":
            assert len(entry.note.split()) >= 4, f"{name}: say why {entry.text!r} is left out"


def test_the_rule_skips_headings_and_keeps_sentences():
    text = (
        "Visitors To Our Web\nSite\nWhat information do\nwe collect?\n"
        "When you visit our web\nsite, we record the time."
    )
    kept = [s for s in sentences(text) if substantive(s)]
    assert kept == ["When you visit our web site, we record the time."]


@pytest.mark.parametrize("name", PROFILES)
def test_prove_seed_prints_every_row_and_the_counts(name, capsys):
    call_command("prove", "--seed", name, "--tests", str(REPO / "tests"))
    out = capsys.readouterr().out
    table = _table(name)
    for entry in table.entries:
        assert f"- {entry.text}" in out
        for promise in entry.promises:
            assert f"promise {promise}" in out
    counts = table.counts()
    assert out.rstrip().endswith(
        f"{len(table.entries)} sentences: {counts['promise']} promised, "
        f"{counts['notice']} notice, {counts['left_out']} left out"
    )


def test_prove_seed_fails_on_a_sentence_without_a_row(tmp_path, capsys):
    shutil.copytree(POLICIES, tmp_path / "policies")
    (tmp_path / "tests").mkdir()
    table = tmp_path / "policies" / "seeds" / "dracon.yaml"
    row = (
        "- text: We use the contact information you provide us to establish our service for you.\n"
    )
    text = table.read_text()
    assert row in text
    table.write_text(text.replace(row + "  promise: ACC-4\n", ""))
    with pytest.raises(SystemExit) as exit_:
        call_command("prove", "--seed", "dracon", "--tests", str(tmp_path / "tests"))
    assert exit_.value.code == 1
    assert "NO ROW in dracon.yaml" in capsys.readouterr().out


def test_the_readme_counts_are_the_tables():
    readme = (REPO / "README.md").read_text()
    block = re.search(r"<!-- seed-counts -->\n(.*?)<!-- /seed-counts -->", readme, re.S)
    assert block is not None
    for name in PROFILES:
        table = _table(name)
        counts = table.counts()
        row = (
            f"| {SEED_OF[name]} | [`{name}`](policies/seeds/{name}.yaml) | {len(table.entries)} "
            f"| {counts['promise']} | {counts['notice']} | {counts['left_out']} |"
        )
        assert row in block[1], f"README: the row of {name} should read {row}"


def test_prove_seed_with_a_report_says_which_promises_ran_and_passed_on_the_profile(
    tmp_path, capsys
):
    """With --junit, a promise is proved on the profile only by its tests that ran under
    that profile's policy and passed."""
    marked = promise_tests(REPO / "tests")
    table = _table("quality")
    promises = sorted({p for e in table.entries for p in e.promises})
    nodes = sorted({n for p in promises for n in marked[p]})
    quality = load_policy(POLICIES / "quality.yaml").version
    failing = marked["DIS-3"][0]
    report = junit(tmp_path / "report.xml", nodes, {failing}, policies=quality)
    with pytest.raises(SystemExit) as exit_:
        call_command("prove", "--seed", "quality", "--junit", str(report),
                     "--tests", str(REPO / "tests"))  # fmt: skip
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert "promise VIS-2 [proved on this profile]" in out
    broken = {p for p in promises if failing in marked[p]}
    for promise in broken:
        assert f"promise {promise} [NOT PROVED]" in out
    # All passed, but under Dracon's policy: nothing is proved on Quality's.
    dracon = load_policy(POLICIES / "dracon.yaml").version
    report = junit(tmp_path / "dracon.xml", nodes, policies=dracon)
    with pytest.raises(SystemExit):
        call_command("prove", "--seed", "quality", "--junit", str(report),
                     "--tests", str(REPO / "tests"))  # fmt: skip
    assert "[proved on this profile]" not in capsys.readouterr().out
