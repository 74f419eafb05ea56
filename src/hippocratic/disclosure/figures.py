"""The transparency report's figures as people read them (issue 32): tables per half-year
with the kinds and decisions in words, requests received per month for the chart, and
the same figures as plain data for the CSV and JSON downloads. Presentation only: the
counts are transparency.report()'s (which verifies the audit log first), and the monthly
counts read the same audit entries the same way."""

import datetime as dt
from collections import Counter

from django.utils import timezone

from hippocratic.disclosure.transparency import DECISIONS, KINDS, Report
from hippocratic.enforcement.models import AuditEntry

DECISION_NAMES = {"comply": "Complied", "partly": "Complied in part", "reject": "Rejected",
                  "contest": "Contested"}  # fmt: skip


def _period(label: str) -> str:
    """'2026 H1' -> 'January to June 2026'."""
    year, half = label.split(" ")
    return f"{'January to June' if half == 'H1' else 'July to December'} {year}"


def rows(r: Report) -> list[dict]:
    """One row per half-year and kind: received, each decision, accounts affected."""
    out = []
    for half in r.halves:
        kinds = sorted(set(half.received) | {k for k, _ in half.decided} | set(half.accounts))
        for kind in kinds:
            out.append({
                "period": _period(half.label), "kind": KINDS.get(kind, kind),
                "received": r.shown(half.received[kind]),
                "decisions": [{"decision": DECISION_NAMES.get(d, d),
                               "count": r.shown(half.decided[(kind, d)])} for d in DECISIONS],
                "accounts": r.shown(half.accounts[kind]),
            })  # fmt: skip
    return out


def received_by_month(year: int) -> list[tuple[dt.date, int]]:
    """Requests received in each month of `year` (to this month, for this year), from
    the audit log's "received" entries, as transparency.report counts them. Call it only
    after report(year) has verified the log."""
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    end = timezone.make_aware(dt.datetime(year + 1, 1, 1))
    entries = AuditEntry.objects.filter(
        at__gte=start, at__lt=end, purpose__startswith="disclosure.", action="request",
        rule__endswith=" received",
    ).values_list("at", flat=True)  # fmt: skip
    counted = Counter(timezone.localtime(at).month for at in entries.iterator())
    today = timezone.localdate()
    last = today.month if year == today.year else 12
    return [(dt.date(year, m, 1), counted[m]) for m in range(1, last + 1)]


def chart(months: list[tuple[dt.date, int]], *, width=560, height=200) -> dict:
    """A bar chart drawn on the server (SVG coordinates): bars, y-axis ticks, x labels."""
    left, bottom, top = 36, 28, 8
    peak = max([n for _, n in months] + [1])
    step = max(1, -(-peak // 4))  # four ticks or fewer, whole numbers
    scale_top = step * -(-peak // step)
    plot_h, plot_w = height - bottom - top, width - left - 8
    slot = plot_w / max(len(months), 1)
    bars = []
    for i, (month, n) in enumerate(months):
        h = plot_h * n / scale_top
        bars.append({"x": round(left + i * slot + slot * 0.15, 1), "y": round(top + plot_h - h, 1),
                     "w": round(slot * 0.7, 1), "h": round(h, 1), "n": n, "month": month,
                     "label_x": round(left + i * slot + slot / 2, 1)})  # fmt: skip
    ticks = [{"value": v, "y": round(top + plot_h - plot_h * v / scale_top, 1)}
             for v in range(0, scale_top + 1, step)]  # fmt: skip
    return {"width": width, "height": height, "bars": bars, "ticks": ticks, "left": left,
            "base": top + plot_h, "right": width - 8, "label_y": height - 8}  # fmt: skip


def as_data(reports: list[Report], months: list[tuple[dt.date, int]]) -> dict:
    """The figures for the downloads: plain names, numbers as shown on the page."""
    return {
        "decisions": [DECISION_NAMES.get(d, d) for d in DECISIONS],
        "years": [
            {"year": r.year, "audit_log_entries_verified": r.entries, "rows": rows(r)}
            for r in reports
        ],
        "received_by_month": [{"month": m.strftime("%Y-%m"), "received": n} for m, n in months],
    }
