"""The periodic jobs, and how often each runs. Add a job here and the scheduler runs
it; each job is an app's task (Django's tasks framework), called by `tasks.run_job`."""

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # the dotted path of a Task (its function runs inside run_job)
    every: dt.timedelta
    attempts: int = 4  # the first try and three retries, with backoff

    def backoff(self, attempt: int) -> dt.timedelta:
        """How long to wait before attempt `attempt + 1`: 30 s, 2 min, 8 min …"""
        return dt.timedelta(seconds=30 * 4 ** (attempt - 1))


SCHEDULE = (
    Job("tracking.rollup", "hippocratic.tracking.tasks.rollup_recent_days",
        dt.timedelta(minutes=5)),
    Job("tracking.forget_salts", "hippocratic.tracking.tasks.forget_expired_salts",
        dt.timedelta(hours=1)),
    Job("enforcement.audit_checkpoint", "hippocratic.enforcement.tasks.write_audit_checkpoint",
        dt.timedelta(minutes=10)),  # a signed tree head: new entries' proofs wait for it
    Job("enforcement.audit_verify", "hippocratic.enforcement.tasks.verify_audit_log",
        dt.timedelta(hours=1)),  # the transparency report reads the newest outcome
    Job("billing.run", "hippocratic.billing.tasks.run_billing", dt.timedelta(hours=1)),
    Job("messaging.inbound", "hippocratic.messaging.tasks.act_on_inbound_mail",
        dt.timedelta(minutes=1)),
    Job("messaging.forget_unconfirmed", "hippocratic.messaging.tasks.forget_unconfirmed_joins",
        dt.timedelta(days=1)),
    Job("disclosure.partner_exports", "hippocratic.disclosure.tasks.share_with_partners",
        dt.timedelta(hours=1)),
    Job("enforcement.retention", "hippocratic.enforcement.tasks.purge_expired_personal_data",
        dt.timedelta(days=1)),
)  # fmt: skip

JOBS = {job.name: job for job in SCHEDULE}
