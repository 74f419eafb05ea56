"""The transparency report, counted from the audit log, never from a counter of its
own: requests received per kind and half-year, what was decided, and how many accounts
were affected. It rests on the newest verification of the whole log (the worker's
hourly job; one now where there is none recent) and refuses to count a broken one.

    report(2026, band=0) -> Report       (band=250: counts shown as ranges, 0-249)
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

from hippocratic.disclosure.models import Disclosure
from hippocratic.enforcement import audit
from hippocratic.enforcement.models import AuditEntry

KINDS = dict(Disclosure.Kind.choices)
DECISIONS = tuple(Disclosure.Decision.values)


class ChainBroken(RuntimeError):
    """The audit log does not verify: no report is printed from it."""


@dataclass
class Half:
    label: str  # 2026 H1
    received: Counter = field(default_factory=Counter)  # kind -> requests
    decided: Counter = field(default_factory=Counter)  # (kind, decision) -> requests
    accounts: Counter = field(default_factory=Counter)  # kind -> distinct accounts


@dataclass
class Report:
    year: int
    halves: list[Half]
    entries: int  # the chain's length when it was verified
    band: int = 0

    def shown(self, count: int) -> str:
        """A count, or its range where the law allows only ranges (band > 0)."""
        if not self.band:
            return str(count)
        low = count // self.band * self.band
        return f"{low}-{low + self.band - 1}"


def _bounds(year: int, half: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, 1 if half == 1 else 7, 1)
    end = dt.datetime(year, 7, 1) if half == 1 else dt.datetime(year + 1, 1, 1)
    return timezone.make_aware(start), timezone.make_aware(end)


def report(year: int, *, band: int = 0, fresh: bool = False) -> Report:
    """`fresh`: verify the whole log now (the operator's command), rather than read the
    newest recorded verification (the public page)."""
    if not 1970 <= year <= 9999 or band < 0:
        raise ValueError("a year from 1970, and a band of 0 or more")
    verified = audit.recorded_verification() if fresh else audit.recent_verification()
    if not verified.ok:
        raise ChainBroken(verified.problem)
    halves = []
    for half in (1, 2):
        start, end = _bounds(year, half)
        counted = Half(f"{year} H{half}")
        entries = AuditEntry.objects.filter(
            at__gte=start, at__lt=end, purpose__startswith="disclosure.",
            action__in=["request", "disclose"],
        ).values_list("action", "purpose", "rule", "subject_ref")  # fmt: skip
        accounts: dict[str, set] = {}
        for action, purpose, rule, subject_ref in entries.iterator():
            kind = purpose.split(".", 1)[1]
            what = rule.split(" ", 1)[1] if " " in rule else ""
            if action == "request" and what == "received":
                counted.received[kind] += 1
            elif action == "request" and what.startswith("decision:"):
                counted.decided[(kind, what.split(":", 1)[1])] += 1
            elif action == "disclose":
                accounts.setdefault(kind, set()).add(subject_ref)
        counted.accounts = Counter({k: len(v) for k, v in accounts.items()})
        halves.append(counted)
    return Report(year, halves, verified.entries, band)


def lines(r: Report) -> list[str]:
    """The report as text: one line per half-year and kind."""
    out = [f"Transparency report {r.year} (audit log verified: {r.entries} entries)"]
    header = (
        f"{'period':8}  {'kind':20}  {'received':>9}  "
        + "  ".join(f"{d:>8}" for d in DECISIONS)
        + f"  {'accounts':>9}"
    )
    out.append(header)
    for half in r.halves:
        kinds = sorted(set(half.received) | {k for k, _ in half.decided} | set(half.accounts))
        for kind in kinds:
            decided = "  ".join(f"{r.shown(half.decided[(kind, d)]):>8}" for d in DECISIONS)
            out.append(f"{half.label:8}  {kind:20}  {r.shown(half.received[kind]):>9}  "
                       f"{decided}  {r.shown(half.accounts[kind]):>9}")  # fmt: skip
        if not kinds:
            out.append(f"{half.label:8}  (no requests)")
    return out
