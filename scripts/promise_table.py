"""Print the README's promise table: each promise, the profiles making it, the app that
enforces it and its tests.

`python scripts/promise_table.py --write` puts it between the markers in
README.md; tests/test_readme.py fails when the two differ.
"""

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from hippocratic.capabilities import owner_of  # noqa: E402
from hippocratic.policy import load_policy  # noqa: E402
from hippocratic.policy.promises import CATALOGUE  # noqa: E402

PROFILES = ("dracon", "isp", "japoon", "quality", "ducallier")
MARKER = re.compile(r"promise\(((?:\s*\"[A-Z]+-\d+\"\s*,?)+)\)")


def proved_by_tests() -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in (REPO / "tests").rglob("test_*.py"):
        for match in MARKER.finditer(path.read_text()):
            for promise_id in re.findall(r"[A-Z]+-\d+", match[1]):
                counts[promise_id] = counts.get(promise_id, 0) + 1
    return counts


def table() -> str:
    makes = {
        name: set(load_policy(REPO / "policies" / f"{name}.yaml").policy.promises)
        for name in PROFILES
    }
    tests = proved_by_tests()
    lines = [
        "| ID | Promise | Profiles that make it | Enforced by | Tests |",
        "|---|---|---|---|---|",
    ]
    for promise_id, title in CATALOGUE.items():
        profiles = ", ".join(n for n in PROFILES if promise_id in makes[n]) or "none"
        proved = f"{tests[promise_id]} test(s)" if promise_id in tests else "not yet"
        owner = owner_of(promise_id)
        app = f"`{owner.removeprefix('hippocratic.')}`" if owner else "not yet"
        lines.append(f"| {promise_id} | {title} | {profiles} | {app} | {proved} |")
    return "\n".join(lines) + "\n"


def write_readme() -> None:
    readme = REPO / "README.md"
    text = readme.read_text()
    start = text.index(START) + len(START)
    end = text.index(END)
    readme.write_text(text[:start] + "\n" + table() + text[end:])


START, END = "<!-- promise-table -->", "<!-- /promise-table -->"

if __name__ == "__main__":
    if "--write" in sys.argv:
        write_readme()
    else:
        sys.stdout.write(table())
