"""What the scheduler has started: one row per job and time slot. The unique pair is
the run key, so two schedulers (or two workers each running one) never start the same
run twice."""

from django.db import models


class ScheduledRun(models.Model):
    job = models.CharField(max_length=100)
    slot = models.DateTimeField(help_text="The start of the period this run is for")
    enqueued_at = models.DateTimeField(auto_now_add=True)
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="one_run_per_slot")]
        indexes = [models.Index(fields=["job", "-slot"])]
        ordering = ["-slot", "job"]

    def __str__(self):
        return f"{self.job} for {self.slot:%Y-%m-%d %H:%M}"


class WorkerHeartbeat(models.Model):
    """A worker process's last sign of life (jobs.heartbeat): one row per worker, beaten
    every few seconds while it runs; /healthz and `deploy check` read the newest."""

    worker = models.CharField(max_length=200, unique=True, help_text="host:pid")
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    def __str__(self):
        return f"{self.worker} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"
