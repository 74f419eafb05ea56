"""The requests' service levels, per month and kind (CH-3): how many came, how many
were done, the median and the worst time to done, how many are or were overdue, and,
where the policy says how long a kind usually takes, the share done within it.
Computed from the ledger's technical fields only (no one's details are read)."""

import datetime as dt
import statistics
from dataclasses import dataclass

from django.utils import timezone

from hippocratic.enforcement.actors import Actor
from hippocratic.provider import current_policy
from hippocratic.requests import ledger
from hippocratic.requests.models import Request

MAX_MONTHS = 120


@dataclass(frozen=True)
class Row:
    month: str  # 2026-12
    kind: str
    received: int
    done: int
    median_hours: float | None
    worst_hours: float | None
    overdue: int  # open past due now, or done after the due date
    usual_days: int | None = None  # the policy's "usually within" for this kind (MSG-3)
    within_usual: int = 0  # done within usual_days of arriving

    @property
    def kind_label(self) -> str:
        return dict(Request.Kind.choices).get(self.kind, self.kind)

    @property
    def within_usual_percent(self) -> float | None:
        """The share of those received that were done within the usual time."""
        if self.usual_days is None or not self.received:
            return None
        return round(100 * self.within_usual / self.received, 1)


def usual_days(kind: str) -> int | None:
    """How long the policy says a request of this kind usually takes (Ducallier's
    removals: "usually done within 3-5 days": 5), None where it says nothing."""
    wanted = Request.Kind(kind).choice_kind if kind in Request.Kind.values else None
    days = [c.usual_days for c in current_policy().choices if c.kind == wanted and c.usual_days]
    return min(days) if days else None


def overdue(by: Actor) -> list[dict]:
    """Open requests past their due date, the most overdue first."""
    now = timezone.now()
    rows = ledger.requests_for(by).filter(
        status__in=[Request.Status.OPEN, Request.Status.CONFIRMING], due_at__lt=now
    )
    return list(rows.order_by("due_at").values("pk", "kind", "channel", "created_at", "due_at"))


def monthly(by: Actor, months: int = 12, now: dt.datetime | None = None) -> list[Row]:
    if not 1 <= months <= MAX_MONTHS:
        raise ValueError(f"{months} months, expected 1 to {MAX_MONTHS}")
    now = now or timezone.now()
    local = timezone.localtime(now)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    rows = (
        ledger.requests_for(by)
        .filter(created_at__gte=first)
        .values_list("kind", "created_at", "due_at", "done_at", "status")
    )
    groups: dict[tuple[str, str], list] = {}
    for kind, created, due, done, status in rows.iterator():
        month = timezone.localtime(created).strftime("%Y-%m")
        groups.setdefault((month, kind), []).append((created, due, done, status))
    report = []
    for (month, kind), items in sorted(groups.items()):
        hours = [(d - c).total_seconds() / 3600 for c, _, d, _ in items if d is not None]
        late = sum(1 for _, due, done, _ in items if (done or now) > due)
        usual = usual_days(kind)
        within = 0 if usual is None else sum(1 for h in hours if h <= usual * 24)
        report.append(Row(
            month, kind, len(items), len(hours),
            round(statistics.median(hours), 1) if hours else None,
            round(max(hours), 1) if hours else None, late, usual, within,
        ))  # fmt: skip
    return report
