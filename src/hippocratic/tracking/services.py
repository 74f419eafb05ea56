"""Writes of the tracking app: recording page views, rolling them up, and
forgetting what the rules say must go."""

import atexit
import datetime as dt
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models import Count, Q
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


def page_views_write(
    events: list[PageEvent], *, rules: RecordingRules | None = None, resolve: bool = True
) -> int:
    """Write a batch of page views: one INSERT, one audit entry (and the
    diagnostic addresses, where the policy keeps them, VIS-11). With `resolve`
    off, addresses are not looked up (their ISP domain stays unknown)."""
    rules = rules or recording_rules()
    domains = _resolve_all(events) if resolve else {}
    rows = [
        (e.time, e.path, e.isp_domain or domains.get(e.address, ""), e.browser_family,
         e.os_family, e.referrer_domain, e.is_bot, e.visitor_digest)
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


def _counts(qs, field: str, counting: bool) -> list[tuple[str, int, int | None]]:
    unique = Count("visitor_digest", distinct=True, filter=~Q(visitor_digest=""))
    rows = qs.values(field).annotate(n=Count("id"), **({"u": unique} if counting else {}))
    return [(r[field], r["n"], r.get("u")) for r in rows]


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


def rollup_day(day: dt.date) -> int:
    """Recount one day's stats from its raw page views; returns the rows written.

    Once the day's salt is gone its digests are blank, so the visitor counts
    already rolled up for it are kept rather than recounted as zero.
    """
    rules = recording_rules()
    counting = rules.digests
    frozen = counting and not DailySalt.objects.filter(day=day).exists()
    start, end = day_bounds(day)
    views = PageView.objects.for_purpose(ROLLUP, purpose_of("path")).filter(
        time__gte=start, time__lt=end
    )
    humans = views.filter(is_bot=False)
    stats: list[DailyStat] = []

    def add(dimension, rows):
        stats.extend(
            DailyStat(day=day, dimension=dimension, value=v, views=n, visitors=u)
            for v, n, u in rows
        )

    total = humans.aggregate(
        n=Count("id"), u=Count("visitor_digest", distinct=True, filter=~Q(visitor_digest=""))
    )
    if total["n"]:
        add(Dimension.TOTAL, [("", total["n"], total["u"] if counting else None)])
    bots = views.filter(is_bot=True).count()
    if bots:
        add(Dimension.BOTS, [("", bots, None)])
    add(Dimension.PAGE, _fold(_counts(humans, "path", counting), None))
    dimensions = {
        Dimension.ISP: DailyStat.UNKNOWN,
        Dimension.REFERRER: None,  # no referrer: not a referring site
        Dimension.BROWSER: DailyStat.UNKNOWN,
        Dimension.OS: DailyStat.UNKNOWN,
    }
    for dimension, unknown in dimensions.items():
        if dimension.value in rules.fields:
            add(dimension, _fold(_counts(humans, dimension.value, counting), unknown))
    with transaction.atomic():
        old = DailyStat.objects.filter(day=day)
        if frozen:
            kept = {(s.dimension, s.value): s.visitors for s in old}
            for s in stats:
                s.visitors = kept.get((s.dimension, s.value))
        old.delete()
        DailyStat.objects.bulk_create(stats)
    return len(stats)


def rollup_days(days: Iterable[dt.date]) -> int:
    return sum(rollup_day(day) for day in sorted(set(days)))


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
