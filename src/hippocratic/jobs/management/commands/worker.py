"""`hippocratic worker`: run queued tasks, place audit entries in the log's tree, and
(unless --no-scheduler) start the periodic jobs as they fall due. Any number of workers
may run: each job's period starts once whoever ticks first.

Each worker beats (jobs.workers, into jobs.heartbeat's table) and reclaims the tasks of
workers that stopped beating. It is one process, whatever DEBUG says: no autoreloader,
whose child outlived a killed parent and went on running tasks unseen."""

import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from hippocratic.enforcement import sequencer
from hippocratic.jobs import scheduler, workers


def _schedule_forever(interval: float) -> None:
    while True:
        try:
            scheduler.tick()
        except Exception:  # logged; the worker keeps running the queue
            scheduler.logger.exception("scheduler pass failed")
        finally:
            close_old_connections()
        time.sleep(interval)


def _database_queue() -> bool:
    return not settings.TASKS["default"]["BACKEND"].startswith("django_tasks_rq")


class Command(BaseCommand):
    help = "Run queued tasks (and the periodic jobs) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--no-scheduler", action="store_true", help="only run the queue")
        parser.add_argument("--batch", action="store_true", help="run what is due, then exit")

    def handle(self, *args, no_scheduler, batch, **options):
        # Its heartbeat, and the reclaiming of dead workers' tasks, in batch mode too.
        me = workers.register()
        if batch and _database_queue():
            workers.reclaim()
        stop = threading.Event()  # set when the queue stops: no beat after (a batch ends)
        threading.Thread(target=workers.beat_forever, args=(stop,), daemon=True).start()
        # Every worker places audit entries in the tree (one at a time holds the lock):
        # the merge delay is this interval plus a pass.
        if batch:
            sequencer.sequence()
        else:
            interval = settings.HIPPOCRATIC_AUDIT_SEQUENCE_SECONDS
            threading.Thread(target=sequencer.run_forever, args=(interval,), daemon=True).start()
        if not no_scheduler:
            if batch:
                scheduler.tick()
            else:
                threading.Thread(target=_schedule_forever, args=(30.0,), daemon=True).start()
        try:
            if not _database_queue():
                call_command(
                    "rqworker",
                    "default",
                    "--job-class",
                    "django_tasks_rq.backend.Job",
                    "--with-scheduler",  # runs deferred tasks (retries) when they fall due
                    *(["--burst"] if batch else []),
                )
            else:
                call_command(
                    "db_worker", *(["--batch"] if batch else []), "--interval", "1",
                    "--worker-id", me.worker_id, "--no-reload",
                )  # fmt: skip
        finally:
            stop.set()
            workers.unregister()
