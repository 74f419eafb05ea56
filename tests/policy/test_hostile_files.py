"""Hostile policy files: each is refused with one located message, built from nothing
that grows without bound (a test that hangs or runs out of memory is a failure)."""

import tracemalloc
from pathlib import Path

import pytest

from hippocratic.policy import PolicyError, load_policy_text, loader
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
    "a file over 256 kB": (
        MINIMAL + "#" * 256_000 + "\n",
        "<policy>:1:1: (document): the file is 257,",
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


def test_a_period_longer_than_a_hundred_years_is_refused():
    """Issue 30, item 13: 10**9 days passed `policy check` and `publish`; then the daily
    retention job raised OverflowError (now minus 10**9 days is before year 1)."""
    from hippocratic.policy.models import Retention

    assert Retention(days=36_525).days == 36_525
    with pytest.raises(ValueError, match="less than or equal to 36525"):
        Retention(days=10**9)
    text = (Path(__file__).parents[2] / "policies" / "japoon.yaml").read_text()
    assert "retention: {days: 90}" in text
    with pytest.raises(PolicyError) as info:
        load_policy_text(text.replace("retention: {days: 90}", "retention: {days: 1000000000}", 1))
    (issue,) = info.value.issues
    assert issue.path.endswith("retention.days") and "at most a hundred years" in str(issue)


def test_a_file_of_unknown_keys_is_checked_in_bounded_time_and_memory(monkeypatch):
    """Issue 30, item 13: 0.9 MB of 90,000 unknown keys took 38 s and 230 MB; now the
    file is bounded (256 kB) and only the errors shown are put in words (the costly
    part: counted here, not timed, so a loaded machine cannot fail it)."""
    keys = (256_000 - len(MINIMAL)) // 10 - 1
    text = MINIMAL + "".join(f"k{n:05d}: 1\n" for n in range(keys))
    worded = []
    in_words = loader._from_pydantic
    monkeypatch.setattr(loader, "_from_pydantic", lambda *a: worded.append(1) or in_words(*a))
    tracemalloc.start()
    try:
        with pytest.raises(PolicyError) as info:
            load_policy_text(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    issues = [str(i) for i in info.value.issues]
    assert len(issues) == 51 and issues[-1].endswith(f"… and {keys - 50:,} more")
    assert len(worded) == 50 and peak < 150_000_000, (len(worded), peak)
