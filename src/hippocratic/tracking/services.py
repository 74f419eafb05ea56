"""Writes of the tracking app: recording page views, rolling them up, and
forgetting what the rules say must go."""

import atexit
import collections
import datetime as dt
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connections, transaction
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.dispatch import receiver
from django.utils import timezone

from hippocratic.enforcement import audit
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.fields import category_of
from hippocratic.policy.reasons import Reason
from hippocratic.provider import current_policy, policy_switched
from hippocratic.tracking import selectors, visitors
from hippocratic.tracking.buffer import WriteBuffer
from hippocratic.tracking.event import PageEvent, RecordingRules
from hippocratic.tracking.models import DailySalt, DailyStat, DiagnosticAddress, Dimension, PageView
from hippocratic.tracking.resolver import IspResolver

RECORDER = Actor.system("tracking.record")
ROLLUP = Actor.system("tracking.rollup")
ROLLUP_TOP_N = 500  # values kept per dimension and day; the rest become "(other)"


def _conf() -> dict:
    return getattr(settings, "HIPPOCRATIC_TRACKING", {})


@cache
def recording_rules() -> RecordingRules:
    hosts = [h.lstrip(".") for h in settings.ALLOWED_HOSTS if h not in ("*", "")]
    return RecordingRules.from_policy(current_policy(), own_hosts=hosts)


def purpose_of(field: str) -> str:
    """The policy's (first) purpose for a visitor data item: what reads it."""
    for kind, item in current_policy().data_items():
        if kind.value == "visitor" and item.field == field:
            return item.purposes[0]
    raise LookupError(f"the policy collects no visitor data item '{field}'")


@cache
def resolver() -> IspResolver:
    return IspResolver()


@cache
def page_view_buffer() -> WriteBuffer:
    conf = _conf()
    buffer = WriteBuffer(
        page_views_write,
        size=int(conf.get("buffer_size", 500)),
        flush_seconds=conf.get("flush_seconds", 2.0),
    )
    atexit.register(_flush_at_exit, buffer)
    return buffer


def _flush_at_exit(buffer: WriteBuffer) -> None:
    if page_view_buffer.cache_info().currsize and page_view_buffer() is buffer:
        buffer.flush()


@receiver(policy_switched)
def _policy_switched(**kwargs):
    recording_rules.cache_clear()


@receiver(setting_changed)
def _reset(*, setting, **kwargs):
    if setting in ("HIPPOCRATIC_POLICY", "HIPPOCRATIC_TRACKING", "ALLOWED_HOSTS"):
        recording_rules.cache_clear()
        resolver.cache_clear()
        if page_view_buffer.cache_info().currsize:
            page_view_buffer().discard()  # recorded under the old settings (tests)
        page_view_buffer.cache_clear()


def _resolve_all(events: list[PageEvent]) -> dict[str, str]:
    """ISP domain per distinct address still to resolve, looked up concurrently."""
    wanted = {e.address for e in events if not e.isp_domain and e.address}
    if not wanted:
        return {}
    isp = resolver()
    try:
        with ThreadPoolExecutor(max_workers=min(16, len(wanted))) as pool:
            found = dict(zip(wanted, pool.map(isp.resolve, wanted), strict=True))
    except RuntimeError:  # the interpreter is exiting (the last flush): one by one
        found = {address: isp.resolve(address) for address in wanted}
    return {address: domain or "" for address, domain in found.items()}


PAGE_VIEW_COLUMNS = (
    "time", "path", "isp_domain", "browser_family", "os_family", "referrer_domain",
    "is_bot", "visitor_digest",
)  # fmt: skip


def _text(value: str) -> str:
    """A text column's value without NUL: PostgreSQL refuses it, and one view of
    /account/recover/%00/ failed every batch after it (kept for the next flush)."""
    return value.replace("\x00", "") if value else value


def page_views_write(
    events: list[PageEvent], *, rules: RecordingRules | None = None, resolve: bool = True
) -> int:
    """Write a batch of page views: one INSERT, one audit entry (and the
    diagnostic addresses, where the policy keeps them, VIS-11). With `resolve`
    off, addresses are not looked up (their ISP domain stays unknown)."""
    rules = rules or recording_rules()
    domains = _resolve_all(events) if resolve else {}
    rows = [
        (e.time, _text(e.path), _text(e.isp_domain or domains.get(e.address, "")),
         _text(e.browser_family), _text(e.os_family), _text(e.referrer_domain), e.is_bot,
         e.visitor_digest)
        for e in events
    ]  # fmt: skip
    with transaction.atomic():
        PageView.objects.for_purpose(RECORDER, purpose_of("path")).insert_rows(
            PAGE_VIEW_COLUMNS, rows
        )
        if rules.keep_addresses:
            seen = {(_hour(e.time), e.address) for e in events if e.address}
            DiagnosticAddress.objects.for_purpose(RECORDER, purpose_of("ip_address")).insert_rows(
                ("id", "hour", "ip_address"),
                [(uuid.uuid4(), hour, address) for hour, address in sorted(seen)],
                ignore_conflicts=True,  # seen already this hour
            )
    return len(rows)


def _hour(time: dt.datetime) -> dt.datetime:
    """The hour a diagnostic address is kept under (VIS-11): no finer than that."""
    return time.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


# --- rollups ------------------------------------------------------------------------------


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _fold(rows, unknown: str | None) -> list[tuple[str, int, int | None]]:
    """Keep the top values; fold the rest into OTHER (visitors there are an upper bound)."""
    rows = [(v or unknown, n, u) for v, n, u in rows if v or unknown]
    rows.sort(key=lambda r: (-r[1], r[0]))
    kept, rest = rows[:ROLLUP_TOP_N], rows[ROLLUP_TOP_N:]
    if rest:
        views = sum(n for _, n, _ in rest)
        uniques = None if rest[0][2] is None else sum(u for _, _, u in rest)
        kept.append((DailyStat.OTHER, views, uniques))
    return kept


# Days recounted by one read of each count: a year-long log's 400 days take 13 reads of
# each, not 400 (each read is decided and audited once, whatever the days it spans).
ROLLUP_SPAN_DAYS = 31
DIMENSION_UNKNOWN = {
    Dimension.ISP: DailyStat.UNKNOWN,
    Dimension.REFERRER: None,  # no referrer: not a referring site
    Dimension.BROWSER: DailyStat.UNKNOWN,
    Dimension.OS: DailyStat.UNKNOWN,
}
# A span of at most this many page views is read once and counted here (bounded memory:
# a set of digests per value); a larger one is counted by the database.
ROLLUP_READ_ROWS = 200_000
STAT_COLUMNS = ("day", "dimension", "value", "views", "visitors")
STAT_ROWS = 1000  # DailyStat rows a statement writes (5,000 parameters)


def rollup_day(day: dt.date) -> int:
    """Recount one day's stats from its raw page views; returns the rows written."""
    return rollup_days([day])


def rollup_days(days: Iterable[dt.date]) -> int:
    """Recount the stats of `days` from their raw page views; returns the rows written.

    Days within ROLLUP_SPAN_DAYS of each other are counted together: one GROUP BY
    per count over all of them, each row placed in its (local) day by the database.
    Once a day's salt is gone its digests are blank, so the visitor counts already
    rolled up for it are kept rather than recounted as zero.
    """
    days = sorted(set(days))
    written, first = 0, 0
    while first < len(days):
        last = first
        while last + 1 < len(days) and (days[last + 1] - days[first]).days < ROLLUP_SPAN_DAYS:
            last += 1
        written += _rollup_span(days[first : last + 1])
        first = last + 1
    return written


def _day_of_row(first: dt.date, last: dt.date) -> Case:
    """The number of days from `first` to a page view's (local) day, up to `last`
    (the query keeps to those days: each WHEN needs only the day's end)."""
    whens = [
        When(time__lt=day_bounds(first + dt.timedelta(days=k))[1], then=Value(k))
        for k in range((last - first).days + 1)
    ]
    return Case(*whens, default=Value(-1), output_field=IntegerField())


def _rollup_span(days: list[dt.date]) -> int:
    rules = recording_rules()
    counting = rules.digests
    salted = set(DailySalt.objects.filter(day__in=days).values_list("day", flat=True))
    frozen = {d for d in days if counting and d not in salted}
    first, last = days[0], days[-1]
    views = (
        PageView.objects.for_purpose(ROLLUP, purpose_of("path"))
        .filter(time__gte=day_bounds(first)[0], time__lt=day_bounds(last)[1])
        .annotate(rollup_day=_day_of_row(first, last))
        .order_by()
    )
    wanted = {(d - first).days for d in days}  # a day between them may be left as it is
    dimensions = [Dimension.PAGE] + [d for d in DIMENSION_UNKNOWN if d.value in rules.fields]
    count = _counted_here if views.count() <= ROLLUP_READ_ROWS else _counted_by_the_database
    found = count(views, wanted, dimensions, counting)
    stats = []
    order = [Dimension.TOTAL, Dimension.BOTS, *dimensions]
    for day in days:
        for dimension in order:
            rows = found.get(((day - first).days, dimension), [])
            if dimension not in (Dimension.TOTAL, Dimension.BOTS):
                rows = _fold(rows, DIMENSION_UNKNOWN.get(dimension))
            stats.extend((day, dimension.value, v, n, u) for v, n, u in rows)
    with transaction.atomic():
        old = DailyStat.objects.filter(day__in=days)
        if frozen:
            kept = {
                (d, dim, value): visitors
                for d, dim, value, visitors in old.filter(day__in=frozen).values_list(
                    "day", "dimension", "value", "visitors"
                )
            }
            stats = [
                (d, dim, v, n, kept.get((d, dim, v)) if d in frozen else u)
                for d, dim, v, n, u in stats
            ]
        old.delete()
        _insert_stats(stats)
    return len(stats)


def _counted_by_the_database(views, wanted, dimensions, counting) -> dict:
    """{(day number, dimension): [(value, views, visitors)]}: a GROUP BY for each count."""
    unique = Count("visitor_digest", distinct=True, filter=~Q(visitor_digest=""))
    found: dict[tuple[int, str], list[tuple[str, int, int | None]]] = collections.defaultdict(list)
    totals = views.values_list("rollup_day", "is_bot").annotate(n=Count("id"), u=unique)
    for k, is_bot, n, u in totals:
        if k in wanted and n:
            if is_bot:
                found[k, Dimension.BOTS].append(("", n, None))
            else:
                found[k, Dimension.TOTAL].append(("", n, u if counting else None))
    humans = views.filter(is_bot=False)
    for dimension in dimensions:
        counted = {"n": Count("id"), **({"u": unique} if counting else {})}
        counts = humans.values_list("rollup_day", _field_of(dimension)).annotate(**counted)
        for k, value, n, *u in counts:
            if k in wanted:
                found[k, dimension].append((value, n, u[0] if u else None))
    return found


def _counted_here(views, wanted, dimensions, counting) -> dict:
    """The same counts from one read of the page views' few columns, counted here: six
    GROUP BYs of a month of a log cost the database five times what this costs."""
    columns = ["rollup_day", "is_bot", "visitor_digest", *map(_field_of, dimensions)]
    kinds = [Dimension.TOTAL, Dimension.BOTS, *dimensions]  # by number in the keys below
    seen: collections.Counter = collections.Counter()  # (day number, kind, value): views
    digests: dict[tuple, set[str]] = collections.defaultdict(set)
    for k, is_bot, digest, *values in views.values_list(*columns).iterator(chunk_size=5000):
        if k not in wanted:
            continue
        if is_bot:
            seen[k, 1, ""] += 1
            continue
        keys = [(k, 0, ""), *((k, i, v) for i, v in enumerate(values, 2))]
        for key in keys:
            seen[key] += 1
            if digest:
                digests[key].add(digest)
    found: dict[tuple[int, str], list[tuple[str, int, int | None]]] = collections.defaultdict(list)
    for (k, kind, value), n in seen.items():
        visitors = len(digests.get((k, kind, value), ())) if counting and kind != 1 else None
        found[k, kinds[kind]].append((value, n, visitors))
    return found


def _insert_stats(stats: list[tuple]) -> None:
    """DailyStat rows written as plain rows, many to a statement: anonymous counts, a
    year of them at once (model instances cost more than the counting did)."""
    if not stats:
        return
    connection = connections[DailyStat.objects.db]
    quote = connection.ops.quote_name
    day_field = DailyStat._meta.get_field("day")
    as_stored = {d: day_field.get_db_prep_save(d, connection) for d in {s[0] for s in stats}}
    columns = ", ".join(quote(DailyStat._meta.get_field(c).column) for c in STAT_COLUMNS)
    one = f"({', '.join(['%s'] * len(STAT_COLUMNS))})"
    with connection.cursor() as cursor:
        for first in range(0, len(stats), STAT_ROWS):
            batch = stats[first : first + STAT_ROWS]
            values = [value for d, *rest in batch for value in (as_stored[d], *rest)]
            # Names come from the model and are quoted; values are parameters.
            cursor.execute(
                f"INSERT INTO {quote(DailyStat._meta.db_table)} ({columns}) "  # noqa: S608
                f"VALUES {', '.join([one] * len(batch))}",
                values,
            )


def forget_expired_salts(now: dt.datetime | None = None) -> int:
    """Delete salts older than 48 hours and blank their days' digests, after a
    last rollup of those days (VIS-6). Returns the salts deleted."""
    days = visitors.expired_salt_days(now)
    if not days:
        return 0
    rollup_days(days)
    with transaction.atomic():
        for day in days:
            start, end = day_bounds(day)
            PageView.objects.for_purpose(ROLLUP, purpose_of("path")).filter(
                time__gte=start, time__lt=end
            ).exclude(visitor_digest="").update(visitor_digest="")
        return visitors.forget_salts(days)


# --- disclosure of aggregates (VIS-7) -----------------------------------------------------


def aggregate_recipients():
    """Third parties the policy lets receive visitor aggregates, and only those."""
    return current_policy().visitor_aggregate_recipients()


def _field_of(dimension: Dimension) -> str:
    return "path" if dimension is Dimension.PAGE else dimension.value


def aggregates_disclose(*, actor: Actor, recipient_key: str, start: dt.date, end: dt.date):
    """The k-anonymous daily rows for a third party, written to the audit log as a
    disclosure (VIS-7). Raises LookupError for a recipient the policy does not name."""
    recipient = next((r for r in aggregate_recipients() if r.key == recipient_key), None)
    if recipient is None:
        raise LookupError(f"the policy names no aggregate recipient '{recipient_key}'")
    policy = current_policy()
    k = policy.visitor_log.aggregate_min_group if policy.visitor_log else 10
    dims = selectors.dimensions_of(policy)
    rows = selectors.k_anonymous_rows(start, end, [Dimension.TOTAL, *dims], k)
    audit.append(
        actor=actor, action=Action.DISCLOSE, purpose=purpose_of("path"), reason=Reason.ALLOWED,
        subject="visitor", subject_ref=f"recipient:{recipient.key}",
        categories={category_of(PageView._meta.get_field(_field_of(d))) for d in dims},
        allowed=True, rule=f"aggregates_only:k={k}:{start}..{end}", promise="VIS-7",
        rows=len(rows),
    )  # fmt: skip
    return recipient, k, rows
