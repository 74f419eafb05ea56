"""The proof report (`hippocratic prove`): every sentence of the published page that
states a promise (the "Your choices" rows too), with the app that enforces it, the tests
that prove it and their result, from a JUnit XML report (`pytest --junitxml`) given or
made here.

    sentences(policy, enforced)           -> [(promise ID, sentence)]
    promise_tests(tests_dir)              -> {promise ID: ["tests/x.py::test_y", ...]}
    results(junit_xml)                    -> {"tests/x.py::test_y": [Case(passed, policies)]}

A sentence on a profile's page is proved when at least one of its tests ran under that
profile's policy (the test suite records, per test, the SHA-256 of every policy it ran
under, as the JUnit property "policies") and every case of them that ran under it passed.
A test that ran under Dracon's policy proves nothing on Ducallier's page.
"""

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from hippocratic.capabilities import owner_of
from hippocratic.policy.enforced import Enforced
from hippocratic.policy.models import Policy
from hippocratic.policy.render import Paragraph, Table, build_document

MAX_XML_BYTES = 50 * 1024 * 1024


@dataclass
class Proof:
    promise: str
    sentence: str
    code: str | None
    tests: list[str]
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def proved(self) -> bool:
        return bool(self.passed) and not self.failed


def sentences(policy: Policy, enforced: Enforced) -> list[tuple[str, str]]:
    document = build_document(policy, enforced=enforced)
    found = []
    for section in document.sections:
        for block in section.blocks:
            if isinstance(block, Paragraph) and block.promise:
                found.append((block.promise, block.text))
            elif isinstance(block, Table):
                for row, promises in zip(block.rows, block.promises, strict=False):
                    found += [(promise, " | ".join(filter(None, row))) for promise in promises]
    return found


def _promises_of(decorator: ast.expr) -> list[str]:
    """The IDs of a @pytest.mark.promise("A-1", "B-2") decorator, else []."""
    if not isinstance(decorator, ast.Call):
        return []
    name = ast.unparse(decorator.func)
    if not name.endswith("mark.promise"):
        return []
    return [a.value for a in decorator.args if isinstance(a, ast.Constant)]


def _module_marks(tree: ast.Module) -> list[str]:
    """IDs in a module's `pytestmark = ...promise(...)` (every test of it proves them)."""
    marks = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            for call in ast.walk(node.value):
                marks += _promises_of(call)
    return marks


def promise_tests(tests_dir: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(tests_dir.rglob("test_*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        module_wide = _module_marks(tree)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                node_id = f"{path.relative_to(tests_dir.parent)}::{node.name}"
                ids = [p for d in node.decorator_list for p in _promises_of(d)]
                for promise_id in dict.fromkeys([*ids, *module_wide]):
                    found.setdefault(promise_id, []).append(node_id)
    return found


@dataclass(frozen=True)
class Case:
    """One run of a test (a parametrized test has one per case): its result, and the
    SHA-256 of each policy it ran under."""

    passed: bool
    policies: frozenset[str]


# The JUnit property the test suite writes the policies a test ran under into.
POLICIES_PROPERTY = "policies"


def results(junit_xml: Path) -> dict[str, list[Case]]:
    """{"tests/x.py::test_y": [Case per case]} from pytest's JUnit XML."""
    if junit_xml.stat().st_size > MAX_XML_BYTES:
        raise ValueError(f"{junit_xml} is larger than {MAX_XML_BYTES // 2**20} MB")
    raw = junit_xml.read_bytes()
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise ValueError(f"{junit_xml}: a JUnit report has no DOCTYPE or entities")
    outcome: dict[str, list[Case]] = {}
    root = ElementTree.fromstring(raw)  # noqa: S314 (no DOCTYPE, no entities: checked above)
    for case in root.iter("testcase"):
        module = case.get("classname", "")
        name = case.get("name", "").split("[", 1)[0]
        path = module.replace(".", "/") + ".py"
        bad = any(child.tag in ("failure", "error") for child in case)
        skipped = any(child.tag == "skipped" for child in case)
        policies = frozenset(
            version
            for prop in case.iter("property") if prop.get("name") == POLICIES_PROPERTY
            for version in (prop.get("value") or "").split(",") if version
        )  # fmt: skip
        if not skipped:
            outcome.setdefault(f"{path}::{name}", []).append(Case(not bad, policies))
    return outcome


def prove(policy: Policy, enforced: Enforced, tests: dict[str, list[str]],
          outcome: dict[str, list[Case]], version: str) -> list[Proof]:  # fmt: skip
    """Each sentence, proved by the cases of its tests that ran under the policy of
    SHA-256 `version` (the one whose page it is)."""
    proofs = []
    for promise_id, sentence in sentences(policy, enforced):
        ids = tests.get(promise_id, [])
        proof = Proof(promise_id, sentence, owner_of(promise_id), ids)
        for node_id in ids:
            ran = [case.passed for case in outcome.get(node_id, []) if version in case.policies]
            if ran and all(ran):
                proof.passed.append(node_id)
            elif ran:
                proof.failed.append(node_id)
        proofs.append(proof)
    return proofs


def node_ids(proofs: Iterable[Proof]) -> list[str]:
    return sorted({t for p in proofs for t in p.tests})
