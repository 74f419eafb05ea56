"""Background work of the enforcement app (Django's tasks framework)."""

from django.tasks import task

from hippocratic.enforcement import retention


@task()
def purge_expired_personal_data() -> int:
    """Run daily: remove personal data past its retention. Returns the rows touched."""
    return sum(r.rows for r in retention.purge(for_real=True))
