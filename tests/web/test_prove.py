"""The proof report (`hippocratic prove`): each promised sentence of the page with its
code and tests; exit 1 naming a sentence whose test failed or never ran."""

from pathlib import Path

import pytest
from django.core.management import call_command
from tests_paths import REPO, use_profile

from hippocratic.capabilities import enforced
from hippocratic.provider import current_policy, loaded_policy
from hippocratic.site import proof


def junit(
    path: Path, node_ids: list[str], failing: set[str] = frozenset(), *, policies: str = ""
) -> Path:
    """A JUnit XML report as pytest writes it, one case per test, each run under the
    policy in force (or `policies`)."""
    ran_under = policies or loaded_policy().version
    cases = []
    for node in node_ids:
        module, name = node.split("::")
        classname = module.removesuffix(".py").replace("/", ".")
        body = '<failure message="broken">x</failure>' if node in failing else ""
        properties = f'<properties><property name="policies" value="{ran_under}"/></properties>'
        cases.append(
            f'<testcase classname="{classname}" name="{name}[a]">{properties}{body}</testcase>'
        )
    path.write_text(f"<testsuites><testsuite>{''.join(cases)}</testsuite></testsuites>")
    return path


@pytest.mark.promise("POL-1")
@pytest.mark.parametrize(
    "profile", ["dracon", "ducallier", "isp", "japoon", "quality"], indirect=True
)
def test_every_promised_sentence_is_linked_to_code_and_passing_tests(tmp_path, capsys, profile):
    found = proof.promise_tests(REPO / "tests")
    proofs = proof.prove(current_policy(), enforced(), found, {}, loaded_policy().version)
    assert proofs and all(p.code and p.tests for p in proofs)  # nothing unowned on the page
    every = proof.node_ids(proofs)
    call_command("prove", "--junit", str(junit(tmp_path / "ok.xml", every)),
                 "--tests", str(REPO / "tests"))  # fmt: skip
    out = capsys.readouterr().out
    assert f"{len(proofs)} of {len(proofs)} promised sentences proved" in out
    # One promise's test breaks: the report names its sentence and exits 1.
    broken = proofs[0]
    report = junit(tmp_path / "broken.xml", every, failing={broken.tests[0]})
    with pytest.raises(SystemExit) as exited:
        call_command("prove", "--junit", str(report), "--tests", str(REPO / "tests"))
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert f"{broken.promise} [NOT PROVED] {broken.sentence}" in out
    assert f"FAILED: {broken.tests[0]}" in out


@pytest.mark.promise("POL-1")
def test_a_sentence_is_proved_only_by_tests_that_ran_under_its_profile(tmp_path, capsys):
    """Every test passed, but under Dracon's policy: nothing on Ducallier's page is
    proved by them, and the report says so."""
    with use_profile("dracon"):
        dracon = loaded_policy().version
    with use_profile("ducallier"):
        found = proof.promise_tests(REPO / "tests")
        proofs = proof.prove(current_policy(), enforced(), found, {}, loaded_policy().version)
        report = junit(tmp_path / "dracon.xml", proof.node_ids(proofs), policies=dracon)
        with pytest.raises(SystemExit):
            call_command("prove", "--junit", str(report), "--tests", str(REPO / "tests"))
        out = capsys.readouterr().out
        assert f"0 of {len(proofs)} promised sentences proved" in out
        assert "no test of it ran under this policy" in out


@pytest.mark.promise("POL-1", "CH-1", "MSG-3")
def test_the_choices_rows_are_sentences_to_prove_too():
    with use_profile("ducallier"):
        found = {p for p, _ in proof.sentences(current_policy(), enforced())}
        assert {"MSG-3", "MSG-4", "MSG-5", "CH-1", "ACC-7"} <= found
