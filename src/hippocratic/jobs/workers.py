"""Which workers are alive, and what a dead one leaves behind.

Each `hippocratic worker` process has an id (host, pid and a random part), writes its
heartbeat (jobs.heartbeat, the row /healthz reads) every HIPPOCRATIC_WORKER_BEAT_SECONDS
and checks the others:
a task RUNNING on a worker that has not beaten for HIPPOCRATIC_WORKER_TIMEOUT_SECONDS
(killed, its machine gone) is reclaimed. It is marked failed ("WorkerLost", visible in
the admin's Tasks), and where its task is one that resumes by itself (RESUMABLE: a
campaign's sending reconciles what the dead worker left, messaging.sending.reconcile),
queued again with the same arguments, once, by whichever worker reclaims it first.

A worker also holds a lease: when its own beat has not been written for half the
timeout (the database out of reach), `lease_held()` is false and the campaign sender
stops handing messages over before another worker could take its deliveries.
"""

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from hippocratic.jobs import heartbeat
from hippocratic.jobs.models import WorkerHeartbeat

logger = logging.getLogger("hippocratic.jobs")

# Tasks that pick up where a dead worker left them: queued again when reclaimed.
RESUMABLE = {"hippocratic.messaging.tasks.send_campaign"}
LOST = "hippocratic.jobs.workers.WorkerLost"
HOST = socket.gethostname()[:150]


class WorkerLost(Exception):
    """The worker running this task stopped beating: killed, or its machine gone."""


@dataclass
class Identity:
    """This process as a worker: its id, and when its beat last reached the database."""

    worker_id: str
    last_beat: float | None = None  # time.monotonic() of the last beat written
    registered: bool = False
    pid: int = 0  # the process that beats; a forked child (an RQ job) reads the beats
    checked: float = 0.0
    started_at: object = None

    def lease_held(self) -> bool:
        """Whether no other worker can have taken this one's work: true outside a
        registered worker (a test, a shell), and within half the timeout of a beat."""
        if not self.registered:
            return True
        now = time.monotonic()
        if os.getpid() != self.pid and now - self.checked > 1.0:  # at most once a second
            since = timezone.now() - timezone.timedelta(seconds=timeout() / 2)
            beats = WorkerHeartbeat.objects.filter(worker=self.worker_id, seen_at__gte=since)
            if beats.exists():
                self.last_beat = now
            self.checked = now
        last = self.last_beat
        return last is not None and now - last < timeout() / 2


ME = Identity(f"{HOST[:40]}-{os.getpid()}-{get_random_string(8)}")


def me() -> Identity:
    return ME


def beat_seconds() -> float:
    return float(getattr(settings, "HIPPOCRATIC_WORKER_BEAT_SECONDS", 5.0))


def timeout() -> float:
    return float(getattr(settings, "HIPPOCRATIC_WORKER_TIMEOUT_SECONDS", 60.0))


def register() -> Identity:
    """Make this process a worker with a beat of its own (the worker command)."""
    ME.worker_id = f"{HOST[:40]}-{os.getpid()}-{get_random_string(8)}"
    ME.registered, ME.pid, ME.started_at = True, os.getpid(), timezone.now()
    beat()
    return ME


def unregister() -> None:
    """The worker has stopped (a batch done): no lease to hold from now on."""
    ME.registered = False


def beat() -> None:
    heartbeat.beat(ME.worker_id, started_at=ME.started_at)
    ME.last_beat = time.monotonic()


def alive() -> set[str]:
    """The ids of the workers that have beaten within the timeout, this one included."""
    since = timezone.now() - timezone.timedelta(seconds=timeout())
    beats = WorkerHeartbeat.objects.filter(seen_at__gte=since)
    return set(beats.values_list("worker", flat=True))


def reclaim() -> list[str]:
    """Reclaim every task RUNNING on a worker that is not alive (and started more than a
    timeout ago, so a worker that has just claimed it is not taken for dead); returns the
    reclaimed tasks' ids. Resumable ones are queued again."""
    now = timezone.now()
    since = now - timezone.timedelta(seconds=timeout())
    living = alive()
    reclaimed = []
    for task in DBTaskResult.objects.running().filter(started_at__lt=since):
        owner = task.worker_ids[-1] if task.worker_ids else ""
        if owner in living:
            continue
        with transaction.atomic():
            # Whoever changes the row first reclaims it; the others change nothing.
            taken = DBTaskResult.objects.filter(pk=task.pk, status=task.status).update(
                status=TaskResultStatus.FAILED, finished_at=now, exception_class_path=LOST,
                traceback=f"{LOST}: worker {owner or '(unknown)'} stopped beating; its task "
                f"was reclaimed at {now:%Y-%m-%d %H:%M:%S} UTC by worker {ME.worker_id}.\n",
            )  # fmt: skip
            if not taken:
                continue
            if task.task_path in RESUMABLE:
                import_string(task.task_path).enqueue(
                    *task.args_kwargs.get("args", []), **task.args_kwargs.get("kwargs", {})
                )
        logger.warning("reclaimed task %s (%s) of dead worker %s", task.pk, task.task_path, owner)
        reclaimed.append(str(task.pk))
    return reclaimed


def beat_forever(stop: threading.Event | None = None) -> None:
    """The worker's heartbeat thread: beat, then reclaim what dead workers left."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            beat()
            if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
                reclaim()
        except Exception:  # logged; the next beat tries again (the lease runs out meanwhile)
            logger.exception("worker heartbeat failed")
        finally:
            close_old_connections()
        stop.wait(beat_seconds())
