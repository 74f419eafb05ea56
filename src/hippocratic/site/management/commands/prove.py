"""hippocratic prove [--junit FILE] [--tests DIR]

Every sentence of the published page that states a promise, the app that enforces it,
and the tests that prove it with their result. With --junit, the results come from that
report (`pytest --junitxml=FILE`); without it, the tests are run here. Exit 1 when a
sentence on the page lacks a passing test. Run it before publishing a new version.

With --seed PROFILE (dracon, isp, japoon, quality, ducallier), it prints instead the table
of that profile's seed (policies/seeds/PROFILE.yaml, issue 31): each substantive sentence
with the promise that enforces it and the tests marked with it, the notice it becomes, or
why the software leaves it out; exit 1 when a sentence has no row or a promise no test.
With --junit too, each promise says whether its tests ran under that profile's policy and
passed (exit 1 when one did not)."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand

from hippocratic.capabilities import enforced
from hippocratic.policy import load_policy
from hippocratic.policy import seeds as seed_tables
from hippocratic.provider import current_policy, loaded_policy
from hippocratic.site import proof

# The tests of a promise --seed names (the rest are counted).
SHOWN = 3


class Command(BaseCommand):
    help = "Each promised sentence of the page, with its code, its tests and their result."

    def add_arguments(self, parser):
        parser.add_argument("--junit", help="A pytest JUnit XML report to read results from")
        parser.add_argument("--tests", default="tests", help="The test folder (default: tests)")
        parser.add_argument("--seed", help="Print the table of this profile's seed instead")

    def handle(self, *args, junit=None, tests="tests", seed=None, **options):
        tests_dir = Path(tests).resolve()
        if not tests_dir.is_dir():
            self.stderr.write(f"error: no test folder at {tests_dir} (run from the checkout)")
            sys.exit(2)
        if seed is not None:
            self._seed(seed, tests_dir, junit)
            return
        policy, build, loaded = current_policy(), enforced(), loaded_policy()
        found = proof.promise_tests(tests_dir)
        if junit is None:
            junit = self._run(tests_dir, proof.node_ids(
                proof.prove(policy, build, found, {}, loaded.version)))  # fmt: skip
        outcome = proof.results(Path(junit))
        proofs = proof.prove(policy, build, found, outcome, loaded.version)
        self.stdout.write(
            f"The page of {loaded.source.file} (policy {loaded.version[:12]}): a sentence is "
            "proved by its tests that ran under this policy"
        )
        for p in proofs:
            mark = "proved" if p.proved else "NOT PROVED"
            self.stdout.write(f"{p.promise} [{mark}] {p.sentence}")
            self.stdout.write(f"    code: {p.code or 'none'}")
            for node in p.passed:
                self.stdout.write(f"    passed: {node}")
            for node in p.failed:
                self.stdout.write(f"    FAILED: {node}")
            if not p.tests:
                self.stdout.write("    no test names this promise")
            elif not (p.passed or p.failed):
                self.stdout.write("    no test of it ran under this policy")
        unproved = [p for p in proofs if not p.proved]
        self.stdout.write(f"{len(proofs) - len(unproved)} of {len(proofs)} promised sentences "
                          "proved by passing tests")  # fmt: skip
        if unproved:
            sys.exit(1)

    def _seed(self, profile: str, tests_dir: Path, junit: str | None) -> None:
        folder = tests_dir.parent / "policies"
        path = folder / "seeds" / f"{profile}.yaml"
        if not profile.isidentifier() or not path.is_file():
            self.stderr.write(f"error: no seed table at {path}")
            sys.exit(2)
        table = seed_tables.load_table(path)
        loaded = load_policy(folder / f"{profile}.yaml")
        policy = loaded.policy
        marked = proof.promise_tests(tests_dir)
        outcome = proof.results(Path(junit)) if junit else None
        self.stdout.write(f"Seed {table.seed}, sentence by sentence, on the {profile} profile")
        bad = []
        for entry in table.entries:
            self.stdout.write(f"- {entry.text}")
            if entry.kind == "notice":
                self.stdout.write(f"    notice: {entry.note}")
            elif entry.kind == "left_out":
                self.stdout.write(f"    left out: {entry.note}")
            for promise in entry.promises:
                made = "" if policy.makes(promise) else " (NOT MADE by this profile)"
                nodes = marked.get(promise, [])
                result = ""
                if outcome is not None:
                    ran = [
                        case.passed for node in nodes for case in outcome.get(node, [])
                        if loaded.version in case.policies
                    ]  # fmt: skip
                    proved = bool(ran) and all(ran)
                    result = " [proved on this profile]" if proved else " [NOT PROVED]"
                    if not proved:
                        bad.append(promise)
                self.stdout.write(f"    promise {promise}{made}{result}")
                for node in nodes[:SHOWN]:
                    self.stdout.write(f"      test: {node}")
                if not nodes:
                    self.stdout.write("      NO TEST is marked with it")
                if len(nodes) > SHOWN:
                    self.stdout.write(f"      and {len(nodes) - SHOWN} more tests")
                if not marked.get(promise) or not policy.makes(promise):
                    bad.append(promise)
            if entry.kind == "promise" and entry.note:
                self.stdout.write(f"    how: {entry.note}")
        missing = seed_tables.unaccounted(table, seed_tables.seed_text(table, folder / "seeds"))
        for sentence in missing:
            self.stdout.write(f"- {sentence}\n    NO ROW in {path.name}")
        counts = table.counts()
        self.stdout.write(
            f"{len(table.entries)} sentences: {counts['promise']} promised, "
            f"{counts['notice']} notice, {counts['left_out']} left out"
        )
        if missing or bad:
            sys.exit(1)

    def _run(self, tests_dir: Path, node_ids: list[str]) -> str:
        report = Path(tempfile.mkdtemp()) / "prove.xml"
        # The tests set their own profiles and settings: nothing of this site's leaks in.
        own = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("HIPPOCRATIC_") and k not in own}  # fmt: skip
        # This interpreter's pytest, on test ids read from the test files.
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             f"--junitxml={report}", *node_ids],
            cwd=tests_dir.parent, check=False, stdout=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        return str(report)
