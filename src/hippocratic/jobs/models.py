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
