"""The README stays true: its promise table is what the code and tests say."""

import re
import shlex
import subprocess
import sys

from django.core.management import get_commands, load_command_class
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


def production_steps() -> list[str]:
    """The shell lines of "Running it in production", comments and `&` dropped."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Running it in production") :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)[1]
    return [re.sub(r"\s+#.*$", "", line).rstrip(" &") for line in block.splitlines()]


def test_the_production_steps_set_what_they_use_before_using_it():
    steps = production_steps()
    exported = {}
    for line in steps:
        if line.startswith("export "):
            for name, value in re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", line):
                exported[name] = value
        for used in re.findall(r"\$(\w+)|\"\$(\w+)\"", line):
            name = used[0] or used[1]
            assert name in exported, f"{line!r} uses ${name} before an export sets it"
    for name in ("HIPPOCRATIC_POLICY", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "SITE_URL",
                 "EMAIL_HOST", "HIPPOCRATIC_AUDIT_CHECKPOINTS"):  # fmt: skip
        assert name in exported, name
    assert (REPO / exported["HIPPOCRATIC_POLICY"]).is_file()
    # The database's user is given (trust authentication on 127.0.0.1 needs no password).
    assert re.fullmatch(r"postgres://\w+(:[^@]+)?@127\.0\.0\.1:5432/\w+", exported["DATABASE_URL"])
    assert not any(line.startswith("pip install gunicorn") for line in steps)  # a dependency


def test_the_production_steps_make_keys_before_serving_and_end_with_deploy_check():
    steps = production_steps()
    at = {line: i for i, line in enumerate(steps)}
    keys = at["hippocratic keys init"]
    serving = min(
        i for line, i in at.items() if line.startswith(("gunicorn", "hippocratic worker"))
    )
    assert (
        keys < serving
        and at["hippocratic migrate && hippocratic collectstatic --noinput"] < serving
    )
    assert steps[-1] == "hippocratic deploy check"


def test_each_hippocratic_command_in_the_production_steps_takes_its_arguments():
    """Every `hippocratic …` line parses with the command's own parser (the policy
    commands with the policy core's), so no step is a typo or a removed option."""
    aliases = {"publish": "publish_policy"}
    for line in production_steps():
        for part in line.split("&&"):
            argv = shlex.split(part.strip())
            if not argv or argv[0] != "hippocratic":
                continue
            if argv[1] == "keys":
                assert argv[2:] in (["init"], ["show"]), line
                continue
            if argv[1:3] == ["policy", "check"]:
                args = [a.replace('"$HIPPOCRATIC_POLICY"', "") for a in argv[3:]]
                assert [a for a in args if a.startswith("-")] == ["--strict"], line
                continue
            name = aliases.get(argv[2]) if argv[1] == "policy" else argv[1]
            rest = argv[3:] if argv[1] == "policy" else argv[2:]
            rest = [a for a in rest if "$" not in a]
            command = load_command_class(get_commands()[name], name)
            command.create_parser("hippocratic", name).parse_args(rest)
