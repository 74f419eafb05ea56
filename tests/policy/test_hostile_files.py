"""Hostile policy files: each is refused with one located message, built from nothing
that grows without bound (a test that hangs or runs out of memory is a failure)."""

from pathlib import Path

import pytest

from hippocratic.policy import PolicyError, load_policy_text
from hippocratic.policy.cli import check

MINIMAL = (Path(__file__).parent / "minimal.yaml").read_text()
INTRO = "introduction: A minimal valid policy.\n"


def with_introduction(value: str) -> str:
    assert INTRO in MINIMAL
    return MINIMAL.replace(INTRO, f"introduction: {value}\n")


def laughs(levels: int = 9) -> str:
    lines = ['x0: &x0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels + 1):
        lines.append(f"x{n}: &x{n} [" + ", ".join([f"*x{n - 1}"] * 9) + "]")
    return MINIMAL + "taxonomy_bomb:\n" + "".join(f"  {line}\n" for line in lines)


HOSTILE = {
    "billion laughs": (
        laughs(),
        "<policy>:43:54: (document): more than 100,000 values once its aliases are expanded, "
        "expected a file that repeats itself less",
    ),
    "a 5,001-digit integer": (
        MINIMAL.replace(
            "  date: 2024-01-02\n", "  date: 2024-01-02\n  version: " + "7" * 5001 + "\n"
        ),
        "<policy>:10:12: revision.version: a number of 5,001 digits is more than this file may "
        "hold, expected a whole number of at most 4,000 digits",
    ),
    "the date 2001-13-45": (
        MINIMAL.replace("date: 2024-01-02", "date: 2001-13-45"),
        "<policy>:9:9: revision.date: '2001-13-45' is not a real date (month must be in 1..12), "
        "expected a date written YYYY-MM-DD",
    ),
    "100,000 nested lists": (
        with_introduction("[" * 100_000 + "]" * 100_000),
        "<policy>:10:64: (document): values nested more than 50 deep, expected a flatter file",
    ),
    "5,000 nested maps": (
        with_introduction("{a: " * 5_000 + "1" + "}" * 5_000),
        "<policy>:10:211: (document): values nested more than 50 deep, expected a flatter file",
    ),
    "an alias inside the value it names": (
        with_introduction("&a [*a]"),
        "<policy>:10:19: (document): alias *a is inside the value it names, expected an alias "
        "to a value that ends before it",
    ),
    "a NUL byte": (
        with_introduction("A minimal\x00 policy."),
        "<policy>:10:24: (document): the file holds a control character (#x0000), expected "
        "printable text",
    ),
    "a control character": (
        with_introduction("A bell\x07."),
        "<policy>:10:21: (document): the file holds a control character (#x0007), expected "
        "printable text",
    ),
    "a file over 1 MB": (
        MINIMAL + "#" * 1_000_000 + "\n",
        "<policy>:1:1: (document): the file is 1,001,",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_is_refused_with_its_message(name):
    text, message = HOSTILE[name]
    with pytest.raises(PolicyError) as info:
        load_policy_text(text)
    assert str(info.value.issues[0]).startswith(message)


def test_errors_stop_after_fifty_with_a_count_of_the_rest():
    text = MINIMAL + "".join(f"unknown_{n}: 1\n" for n in range(300))
    with pytest.raises(PolicyError) as info:
        load_policy_text(text)
    issues = [str(i) for i in info.value.issues]
    assert len(issues) == 51
    assert issues[-1].endswith("(document): … and 250 more")


def test_check_reports_a_hostile_file_and_goes_on(tmp_path, capsys):
    bomb, good = tmp_path / "bomb.yaml", tmp_path / "good.yaml"
    bomb.write_text(laughs())
    good.write_text(MINIMAL)
    assert check([str(bomb), str(good)]) == 1
    out = capsys.readouterr().out
    assert "more than 100,000 values" in out and f"{good}: ok" in out
    assert "Traceback" not in out
