"""Every sentence of a seed, accounted for (issue 31).

A seed is the privacy policy a profile models (policies/seeds/text/). Its table,
policies/seeds/<profile>.yaml, lists the seed's substantive sentences, each with one of:

    promise: [ID, ...]   the promises (PROMISES.md) that enforce it on this profile, with
                         `how:` where they hold only part of it (and which part)
    notice: "..."        what the published page says instead, where the software holds it
                         only as a statement (nothing to enforce)
    left_out: "..."      why the software does not do it (an off-line business practice,
                         a statement of intent, a definition ...)

The splitting rule (`sentences`): the text's whitespace is joined and sentences end at
". ", "! " or "? ", or at a line break before a capital letter or a list number
(a heading, or a line that ends a sentence without a full stop). A piece is
*substantive* when it has at least MIN_WORDS words and is not a question (the seeds'
questions are headings: "What information do we collect?"). A substantive piece is
accounted for when a table entry contains it or it contains a table entry: a row is the
whole sentence where the seed's line breaks cut it in pieces ("When you sign up for" /
"Quality Communications services, ..."), and a heading the rule glued to a sentence
needs no row of its own. A row's words must be the seed's. No Django here."""

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

MIN_WORDS = 6
KINDS = ("promise", "notice", "left_out")

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_BREAK = re.compile(r"(?<=[.!?])\s+|\n\s*(?=[A-Z0-9])")


def normalise(text: str) -> str:
    """Straight quotes, one space between words."""
    return " ".join(text.translate(_QUOTES).split())


def sentences(text: str) -> list[str]:
    """The seed cut into pieces by the rule above, each normalised."""
    text = text.translate(_QUOTES).replace("\r", "")
    pieces = (normalise(p) for p in _BREAK.split(text))
    return [p for p in pieces if p]


def substantive(piece: str) -> bool:
    return len(piece.split()) >= MIN_WORDS and not piece.endswith("?")


@dataclass(frozen=True)
class Entry:
    text: str
    kind: str  # one of KINDS
    promises: tuple[str, ...] = ()
    note: str = ""  # the notice's words, or the reason it is left out


@dataclass(frozen=True)
class Table:
    profile: str
    seed: str  # the seed's file name in policies/seeds/text/
    entries: tuple[Entry, ...]

    def counts(self) -> dict[str, int]:
        return {kind: sum(e.kind == kind for e in self.entries) for kind in KINDS}


def _entry(raw: dict) -> Entry:
    kinds = [k for k in KINDS if k in raw]
    if len(kinds) != 1:
        raise ValueError(f"{raw.get('text', raw)!r}: give exactly one of {', '.join(KINDS)}")
    kind = kinds[0]
    if kind == "promise":
        ids = raw["promise"]
        ids = (ids,) if isinstance(ids, str) else tuple(ids)
        return Entry(normalise(raw["text"]), kind, ids, normalise(raw.get("how", "")))
    return Entry(normalise(raw["text"]), kind, (), normalise(raw[kind]))


def load_table(path: Path) -> Table:
    raw = yaml.safe_load(path.read_text())
    return Table(path.stem, raw["seed"], tuple(_entry(e) for e in raw["sentences"]))


def seed_text(table: Table, folder: Path) -> str:
    return (folder / "text" / table.seed).read_text()


def unaccounted(table: Table, text: str) -> list[str]:
    """The seed's substantive sentences no entry of the table covers."""
    entries = [e.text for e in table.entries]
    return [
        s for s in sentences(text)
        if substantive(s) and not any(s in e or e in s for e in entries)
    ]  # fmt: skip


def not_in_seed(table: Table, text: str) -> list[str]:
    """Entries whose words are not the seed's (a typo, or a sentence the seed lacks)."""
    whole = normalise(text)
    return [e.text for e in table.entries if e.text not in whole]
