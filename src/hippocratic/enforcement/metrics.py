"""Counters of the gate's decisions, for /metrics (Prometheus): audit appends, and the
refusals by the reason the gateway gave (AccessDenied's decision). Counts only, with no
actor, subject or purpose as a label: nothing here names a person.

Each process counts its own; where PROMETHEUS_MULTIPROC_DIR is set (deploy/*.service),
the web processes and the worker write them to files /metrics adds up."""

from prometheus_client import Counter

AUDIT_APPENDS = Counter(
    "hippocratic_audit_appends", "Entries appended to the audit log", ["allowed"]
)
REFUSALS = Counter(
    "hippocratic_access_refusals", "Accesses to personal data the policy refused", ["reason"]
)


def appended(allowed: bool, reason: str) -> None:
    AUDIT_APPENDS.labels("true" if allowed else "false").inc()
    if not allowed:
        REFUSALS.labels(reason).inc()
