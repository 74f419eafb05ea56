"""Reads of the tracking app: reports come from the daily rollups only, so they
cost the same for ten thousand or a hundred million page views (VIS-6)."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Sum

from hippocratic.policy.models import Policy
from hippocratic.tracking.models import DailyStat, Dimension

TOP_DIMENSIONS = (
    Dimension.PAGE,
    Dimension.ISP,
    Dimension.REFERRER,
    Dimension.BROWSER,
    Dimension.OS,
)


@dataclass(frozen=True)
class Row:
    value: str
    views: int
    visitors: int | None  # daily unique visitors, summed over the days


@dataclass
class TrafficReport:
    start: dt.date
    end: dt.date
    counts_visitors: bool
    series: list[tuple[dt.date, int, int | None]] = field(default_factory=list)
    views: int = 0
    visitors: int | None = None
    bot_views: int = 0
    tops: dict[str, list[Row]] = field(default_factory=dict)


def dimensions_of(policy: Policy) -> list[Dimension]:
    collected = set(policy.visitor_log.fields) if policy.visitor_log else set()
    return [d for d in TOP_DIMENSIONS if d is Dimension.PAGE or d.value in collected]


def traffic_report(policy: Policy, start: dt.date, end: dt.date, *, top: int = 10) -> TrafficReport:
    counts = bool(policy.visitor_log and policy.visitor_log.unique_visitors)
    report = TrafficReport(start, end, counts)
    in_range = DailyStat.objects.filter(day__gte=start, day__lte=end)
    by_day = {
        s.day: (s.views, s.visitors if counts else None)
        for s in in_range.filter(dimension=Dimension.TOTAL).only("day", "views", "visitors")
    }
    day = start
    while day <= end:
        views, visitors = by_day.get(day, (0, 0 if counts else None))
        report.series.append((day, views, visitors))
        day += dt.timedelta(days=1)
    report.views = sum(v for _, v, _ in report.series)
    report.visitors = sum(u or 0 for _, _, u in report.series) if counts else None
    bots = in_range.filter(dimension=Dimension.BOTS).aggregate(n=Sum("views"))["n"]
    report.bot_views = bots or 0
    for dimension in dimensions_of(policy):
        rows = (
            in_range.filter(dimension=dimension)
            .values("value")
            .annotate(views=Sum("views"), visitors=Sum("visitors"))
            .order_by("-views", "value")[:top]
        )
        report.tops[dimension.value] = [
            Row(r["value"], r["views"], r["visitors"] if counts else None) for r in rows
        ]
    return report


def daily_rows(start: dt.date, end: dt.date, dimensions: list[Dimension]):
    """Every stat row in the range, for CSV/JSON export (staff)."""
    return (
        DailyStat.objects.filter(day__gte=start, day__lte=end, dimension__in=dimensions)
        .order_by("day", "dimension", "-views", "value")
        .values_list("day", "dimension", "value", "views", "visitors")
    )


def k_anonymous_rows(start: dt.date, end: dt.date, dimensions: list[Dimension], k: int):
    """Daily rows for a third party (VIS-7): a row counting fewer than `k` distinct
    visitors that day is folded into OTHER with the day's other small rows; an
    OTHER that is itself under `k` is left out. Visitor counts are per day, so a
    visitor seen on many days cannot add up to `k` alone."""
    out: list[tuple[dt.date, str, str, int, int]] = []
    key = None
    small_views = small_visitors = 0

    def close():
        if key and small_visitors >= k:
            out.append((key[0], key[1], DailyStat.OTHER, small_views, small_visitors))

    for day, dimension, value, views, visitors in daily_rows(start, end, dimensions):
        if (day, dimension) != key:
            close()
            key, small_views, small_visitors = (day, dimension), 0, 0
        visitors = visitors or 0
        if visitors >= k and value != DailyStat.OTHER:
            out.append((day, dimension, value, views, visitors))
        else:
            small_views, small_visitors = small_views + views, small_visitors + visitors
    close()
    return out
