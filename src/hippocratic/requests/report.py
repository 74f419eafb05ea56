"""The requests' service levels, per month and kind (CH-3): how many came, how many
were done, the median and the worst time to done, and how many are or were overdue.
Computed from the ledger's technical fields only (no one's details are read)."""

import datetime as dt
import statistics
from dataclasses import dataclass

from django.utils import timezone

from hippocratic.enforcement.actors import Actor
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

    @property
    def kind_label(self) -> str:
        return dict(Request.Kind.choices).get(self.kind, self.kind)


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
        report.append(Row(
            month, kind, len(items), len(hours),
            round(statistics.median(hours), 1) if hours else None,
            round(max(hours), 1) if hours else None, late,
        ))  # fmt: skip
    return report
