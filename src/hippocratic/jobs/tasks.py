"""The one task the scheduler enqueues: it runs a job, and on failure queues the next
attempt after a backoff. Each failed attempt stays visible as a failed task; after the
last one nothing more is queued, and the failure stays for staff to see."""

from django.tasks import task
from django.utils import timezone
from django.utils.module_loading import import_string

from hippocratic.jobs.schedule import JOBS


@task()
def run_job(name: str, attempt: int = 1):
    job = JOBS[name]
    try:
        return import_string(job.task).call()
    except Exception:
        if attempt < job.attempts:
            later = timezone.now() + job.backoff(attempt)
            run_job.using(run_after=later).enqueue(name, attempt + 1)
        raise
