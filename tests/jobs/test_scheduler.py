"""Background work runs by itself: the scheduler starts each periodic job once per
period however many schedulers run, the worker runs them, and a failing job is retried
with backoff and then stays visibly failed."""

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connections
from django.tasks import task
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult
from tests_paths import POLICIES

from hippocratic.enforcement import audit
from hippocratic.enforcement.models import AuditEntry
from hippocratic.jobs import scheduler
from hippocratic.jobs.models import ScheduledRun
from hippocratic.jobs.schedule import JOBS, SCHEDULE, Job
from hippocratic.jobs.tasks import run_job

NOON = dt.datetime(2026, 11, 27, 12, 1, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_each_job_starts_once_per_period_however_often_it_is_asked():
    assert sorted(scheduler.tick(NOON)) == sorted(JOBS)
    assert scheduler.tick(NOON) == []  # a second scheduler in the same period
    assert ScheduledRun.objects.count() == DBTaskResult.objects.count() == len(SCHEDULE)
    # Five minutes on, only the jobs of five minutes or less are due again.
    frequent = sorted(j.name for j in SCHEDULE if j.every <= dt.timedelta(minutes=5))
    assert sorted(scheduler.tick(NOON + dt.timedelta(minutes=5))) == frequent
    assert frequent == ["messaging.inbound", "tracking.rollup"]
    assert scheduler.tick(NOON + dt.timedelta(days=1)) != []


@pytest.mark.django_db(transaction=True)
def test_concurrent_schedulers_start_nothing_twice():
    started, barrier = [], threading.Barrier(4)

    def one_scheduler():
        try:
            barrier.wait()
            started.extend(scheduler.tick(NOON))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one_scheduler) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(started) == sorted(JOBS)
    assert DBTaskResult.objects.count() == len(SCHEDULE)


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_what_the_scheduler_started(tmp_path, settings):
    settings.HIPPOCRATIC_AUDIT_KEY = str(tmp_path / "audit.pem")
    settings.HIPPOCRATIC_AUDIT_CHECKPOINTS = str(tmp_path / "kept")
    settings.DEBUG = True  # the checkpoint job makes a signing key, as the demo does
    call_command("worker", "--batch")
    statuses = set(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses == {"SUCCESSFUL"}
    assert ScheduledRun.objects.count() == len(SCHEDULE)
    assert list((tmp_path / "kept").glob("*.json"))  # the hourly audit checkpoint, kept


@task()
def always_fails():
    raise RuntimeError("the disk is full")


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_is_retried_with_backoff_then_stays_failed(monkeypatch):
    job = Job("tests.failing", "jobs.test_scheduler.always_fails", dt.timedelta(hours=1))
    monkeypatch.setitem(JOBS, job.name, job)
    run_job.enqueue(job.name)
    for attempt in range(1, job.attempts + 1):
        call_command("worker", "--batch", "--no-scheduler")
        failed = DBTaskResult.objects.filter(status="FAILED")
        assert failed.count() == attempt
        waiting = DBTaskResult.objects.filter(status="READY")
        if attempt < job.attempts:
            retry = waiting.get()
            delay = retry.run_after - failed.latest("finished_at").finished_at
            assert abs(delay - job.backoff(attempt)) < dt.timedelta(seconds=5)
            waiting.update(run_after=retry.run_after - job.backoff(attempt))  # time passes
        else:
            assert not waiting.exists()  # given up: the failures stay for staff to see
    assert "the disk is full" in DBTaskResult.objects.filter(status="FAILED").first().traceback


def _redis_answers() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_answers(), reason="Redis does not answer on 127.0.0.1:6379")
def test_at_scale_the_queue_is_redis_and_the_worker_rq(tmp_path):
    """HIPPOCRATIC_TASKS=rq: the same commands, with the queue on Redis (RQ)."""
    import os
    import subprocess
    import sys

    import redis

    redis.Redis(db=15).flushdb()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")},
        "HIPPOCRATIC_DEBUG": "1", "HIPPOCRATIC_HOME": str(tmp_path),
        "HIPPOCRATIC_TASKS": "rq", "REDIS_URL": "redis://127.0.0.1:6379/15",
        "DJANGO_SETTINGS_MODULE": "hippocratic.settings",
        "HIPPOCRATIC_POLICY": str(POLICIES / "ducallier.yaml"),
    }  # fmt: skip

    def hippocratic(*args):
        return subprocess.run(
            [sys.executable, "-m", "hippocratic", *args], capture_output=True, text=True,
            env=env, timeout=120, cwd=tmp_path,
        )  # fmt: skip

    assert hippocratic("migrate", "--noinput").returncode == 0
    started = hippocratic("scheduler", "--once")
    assert "tracking.rollup" in started.stdout, started.stderr
    ran = hippocratic("worker", "--batch", "--no-scheduler")
    assert ran.returncode == 0, ran.stderr
    assert ran.stderr.count("Job OK") == len(SCHEDULE), ran.stderr
    assert redis.Redis(db=15).llen("rq:queue:default") == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "profile", ["dracon", "isp", "japoon", "quality", "ducallier"], indirect=True
)
def test_every_job_runs_clean_on_every_profile(tmp_path, settings, profile):
    """Each scheduled job, run as the worker runs it, under each profile: none is refused
    a purpose its policy does not declare (the ISP's daily forget_unconfirmed was)."""
    settings.HIPPOCRATIC_AUDIT_KEY = str(tmp_path / "audit.pem")
    settings.HIPPOCRATIC_AUDIT_CHECKPOINTS = str(tmp_path / "checkpoints")
    settings.HIPPOCRATIC_PARTNER_EXPORTS = str(tmp_path / "exports")
    audit.generate_key(tmp_path / "audit.pem")
    for job in SCHEDULE:
        import_string(job.task).call()
    assert not AuditEntry.objects.filter(reason="purpose_not_declared").exists()
