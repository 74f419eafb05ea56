"""The proof report (`hippocratic prove`): each promised sentence of the page with its
code and tests; exit 1 naming a sentence whose test failed or never ran."""

from pathlib import Path

import pytest
from django.core.management import call_command
from tests_paths import REPO, use_profile

from hippocratic.capabilities import enforced
from hippocratic.provider import current_policy
from hippocratic.site import proof


def junit(path: Path, node_ids: list[str], failing: set[str] = frozenset()) -> Path:
    """A JUnit XML report as pytest writes it, one case per test."""
    cases = []
    for node in node_ids:
        module, name = node.split("::")
        classname = module.removesuffix(".py").replace("/", ".")
        body = '<failure message="broken">x</failure>' if node in failing else ""
        cases.append(f'<testcase classname="{classname}" name="{name}[a]">{body}</testcase>')
    path.write_text(f"<testsuites><testsuite>{''.join(cases)}</testsuite></testsuites>")
    return path


@pytest.mark.promise("POL-1")
@pytest.mark.parametrize("profile", ["dracon", "ducallier", "isp", "japoon", "quality"])
def test_every_promised_sentence_is_linked_to_code_and_passing_tests(profile, tmp_path, capsys):
    with use_profile(profile):
        found = proof.promise_tests(REPO / "tests")
        proofs = proof.prove(current_policy(), enforced(), found, {})
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
