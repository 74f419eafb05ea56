"""Background work of the tracking app (Django's tasks framework)."""

import datetime as dt

from django.tasks import task
from django.utils import timezone

from hippocratic.tracking import services


@task()
def rollup_recent_days() -> int:
    """Run every few minutes: recount today's and yesterday's stats."""
    today = timezone.localdate()
    return services.rollup_days([today, today - dt.timedelta(days=1)])


@task()
def forget_expired_salts() -> int:
    """Run hourly: delete visitor salts older than 48 hours (VIS-6)."""
    return services.forget_expired_salts()
