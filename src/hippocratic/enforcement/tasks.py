"""Background work of the enforcement app (Django's tasks framework)."""

from django.tasks import task

from hippocratic.enforcement import audit, retention


@task()
def purge_expired_personal_data() -> int:
    """Run daily: remove personal data past its retention. Returns the rows touched."""
    return sum(r.rows for r in retention.purge(for_real=True))


@task()
def write_audit_checkpoint() -> int:
    """Run hourly: sign the audit chain's head and keep the checkpoint outside the
    database, where `hippocratic audit verify` looks for it. Returns its sequence number."""
    signed = audit.checkpoint()
    audit.keep_checkpoint(signed)
    return signed.seq
