"""Start each job that is due: once per job and period, whoever asks.

A job every hour has one slot per hour (periods counted from the Unix epoch, in UTC).
`tick` claims the current slot of each job by inserting its ScheduledRun and enqueues
the job in the same transaction; a second scheduler's insert fails on the unique run
key, and it starts nothing. With the database task backend the claim and the queued
task commit together, so a crash leaves neither.
"""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from hippocratic.jobs.models import ScheduledRun
from hippocratic.jobs.schedule import SCHEDULE, Job
from hippocratic.jobs.tasks import run_job

logger = logging.getLogger("hippocratic.jobs")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _now() -> dt.datetime:
    """The clock, for mocking in tests."""
    return timezone.now()


def slot(job: Job, now: dt.datetime) -> dt.datetime:
    """The start of the period `now` falls in, for this job."""
    periods = (now - EPOCH) // job.every
    return EPOCH + periods * job.every


def tick(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every job whose current slot no one has started; returns their names."""
    now = now or _now()
    started = []
    for job in SCHEDULE:
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=job.name, slot=slot(job, now))
                result = run_job.enqueue(job.name)
                run.task_result_id = str(result.id)
                run.save(update_fields=["task_result_id"])
        except IntegrityError:
            continue  # this slot is someone else's run
        logger.info("started %s", run)
        started.append(job.name)
    return started
