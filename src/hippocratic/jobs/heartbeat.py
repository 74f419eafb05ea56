"""Workers' heartbeats: each `hippocratic worker` writes when it was last alive, so a
load balancer (/healthz) and `hippocratic deploy check` can tell a worker that stopped
from one with nothing to do."""

import datetime as dt
import logging
import os
import socket
import time

from django.db import close_old_connections
from django.utils import timezone

from hippocratic.jobs.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

EVERY_SECONDS = 15.0
# A worker not seen for this long is taken for stopped (three beats missed, and more).
STALE_SECONDS = 120.0
FORGET_AFTER = dt.timedelta(days=1)  # rows of workers gone that long are removed


def worker_name() -> str:
    return f"{socket.gethostname()[:150]}:{os.getpid()}"


def beat(name: str | None = None, *, started_at: dt.datetime | None = None) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker=name or worker_name(),
        defaults={"seen_at": now},
        create_defaults={"seen_at": now, "started_at": started_at or now},
    )
    WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()


def beat_forever(interval: float = EVERY_SECONDS) -> None:
    """A worker's heartbeat thread."""
    name, started = worker_name(), timezone.now()
    while True:
        try:
            beat(name, started_at=started)
        except Exception:  # logged; the next beat tries again
            logger.exception("worker heartbeat failed")
        finally:
            close_old_connections()
        time.sleep(interval)


def last_seen() -> dt.datetime | None:
    """When any worker was last alive (None: no worker ever beat)."""
    newest = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True)
    return newest.first()


def age_seconds(now: dt.datetime | None = None) -> float | None:
    seen = last_seen()
    return None if seen is None else ((now or timezone.now()) - seen).total_seconds()
