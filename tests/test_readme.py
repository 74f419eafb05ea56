"""The README stays true: its promise table is what the code and tests say."""

import re
import subprocess
import sys

from tests_paths import REPO


def test_promise_table_is_current():
    table = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "promise_table.py")],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    readme = (REPO / "README.md").read_text()
    found = re.search(r"<!-- promise-table -->\n(.*?)<!-- /promise-table -->", readme, re.S)
    assert found is not None
    assert found[1] == table, "run: .venv/bin/python scripts/promise_table.py --write"


def test_readme_shows_the_two_commands():
    readme = (REPO / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
