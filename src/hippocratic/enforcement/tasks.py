"""Background work of the enforcement app (Django's tasks framework)."""

from django.tasks import task

from hippocratic.enforcement import audit, retention


@task()
def purge_expired_personal_data() -> int:
    """Run daily: remove personal data past its retention. Returns the rows touched."""
    return sum(r.rows for r in retention.purge(for_real=True))


@task()
def write_audit_checkpoint() -> int:
    """Every ten minutes: sign the audit tree's head and keep it outside the database,
    where `hippocratic audit verify` looks for it. Returns the tree's size."""
    signed = audit.checkpoint()
    audit.keep_checkpoint(signed)
    return signed.seq


@task()
def verify_audit_log() -> bool:
    """Every hour: verify the whole log and record the outcome (AuditVerification),
    which the transparency report reads. Returns whether it is intact."""
    return audit.recorded_verification().ok
