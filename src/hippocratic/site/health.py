"""The site's state for those who look after it: the database, the task queue, the audit
log's sequencer and checkpoints, the workers' heartbeat. Counts and ages only: nothing
here names a person. /healthz, /metrics and `hippocratic deploy check` read it."""

import datetime as dt
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, Min
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hippocratic.enforcement.models import AuditCheckpoint, AuditEntry
from hippocratic.jobs import heartbeat

# An audit entry waits this long at most for its place in the tree while a worker runs
# (the sequencer passes every 0.25 s).
SEQUENCER_LATE_SECONDS = 60.0


@dataclass
class Health:
    database: bool
    queue_ready: int | None  # tasks waiting to run (None: the queue is not the database)
    audit_pending: int | None  # entries waiting for their place in the tree
    audit_oldest_pending_seconds: float | None  # the sequencer's lag
    last_checkpoint_seconds: float | None  # the newest signed tree head's age
    worker_seen_seconds: float | None  # the newest worker heartbeat's age
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict:
        return asdict(self) | {"ok": self.ok}


def _age(when: dt.datetime | None, now: dt.datetime) -> float | None:
    return None if when is None else round((now - when).total_seconds(), 3)


def queue_ready() -> int | None:
    if not settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db"):
        return None
    return DBTaskResult.objects.ready().count()


def failed_tasks() -> int:
    """Tasks that failed (the database queue's; 0 for RQ, whose failures RQ keeps)."""
    if not settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db"):
        return 0
    return DBTaskResult.objects.failed().count()


def check() -> Health:
    """Each fact, and the problems a load balancer should take the site out for."""
    now = timezone.now()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        pending = AuditEntry.objects.filter(seq__isnull=True).aggregate(
            n=Count("id"), oldest=Min("at")
        )
        newest_head = AuditCheckpoint.objects.order_by("-at").values_list("at", flat=True).first()
        health = Health(
            database=True,
            queue_ready=queue_ready(),
            audit_pending=pending["n"],
            audit_oldest_pending_seconds=_age(pending["oldest"], now),
            last_checkpoint_seconds=_age(newest_head, now),
            worker_seen_seconds=_age(heartbeat.last_seen(), now),
            problems=[],
        )
    except DatabaseError as error:
        return Health(False, None, None, None, None, None,
                      [f"database: {type(error).__name__}"])  # fmt: skip
    max_head = settings.HIPPOCRATIC_AUDIT_CHECKPOINT_MAX_AGE_HOURS * 3600
    if health.worker_seen_seconds is None:
        health.problems.append("worker: none has ever run")
    elif health.worker_seen_seconds > heartbeat.STALE_SECONDS:
        health.problems.append(f"worker: last seen {health.worker_seen_seconds:.0f} s ago")
    late = health.audit_oldest_pending_seconds
    if late is not None and late > SEQUENCER_LATE_SECONDS:
        health.problems.append(f"audit sequencer: an entry has waited {late:.0f} s")
    if health.last_checkpoint_seconds is not None and health.last_checkpoint_seconds > max_head:
        health.problems.append(
            f"audit checkpoint: the newest is {health.last_checkpoint_seconds / 3600:.1f} h old"
        )
    return health
