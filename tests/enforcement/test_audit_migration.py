"""An installation with the old hash-chained log upgrades: the chain is verified, kept,
and its entries become the tree's first leaves; a tampered chain stops the upgrade."""

import hashlib
import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from hippocratic.enforcement import audit, sequencer
from hippocratic.enforcement.models import AuditEntry

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.promise("SEC-5")]

BEFORE = [("enforcement", "0009_access_cases"), ("requests", "0002_mail_requests_into_the_ledger")]
FIELDS = (
    "seq", "at", "actor", "role", "purpose", "action", "subject", "subject_ref",
    "categories", "allowed", "reason", "rule", "promise", "rows", "policy_version",
)  # fmt: skip


def _old_link(prev: str, values: dict) -> str:
    encoded = {k: values[k] for k in FIELDS if k != "policy_version" or values[k]}
    encoded["at"] = values["at"].astimezone(timezone.UTC).isoformat(timespec="microseconds")
    canonical = json.dumps(encoded, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(prev.encode() + b"\n" + canonical).hexdigest()


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _old_log(apps, n=4):
    entry = apps.get_model("enforcement", "AuditEntry")
    prev = "0" * 64
    for seq in range(1, n + 1):
        values = {"seq": seq, "at": timezone.now(), "actor": f"task:old:{seq}", "role": "system",
                  "purpose": "essential.service", "action": "read", "subject": "customer",
                  "subject_ref": "*", "categories": [], "allowed": True, "reason": "allowed",
                  "rule": "", "promise": "", "rows": 0, "policy_version": ""}  # fmt: skip
        link = _old_link(prev, values)
        entry.objects.create(**values, prev_hash=prev, hash=link)
        prev = link
    # as the old append left it: the head names the chain's last entry
    apps.get_model("enforcement", "AuditHead").objects.update_or_create(
        pk=1, defaults={"seq": n, "hash": prev}
    )


@pytest.fixture
def latest():
    yield
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_the_old_chain_upgrades_into_the_tree(latest):
    _old_log(_migrate(BEFORE))
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert AuditEntry.objects.filter(hash__isnull=True).count() == 4  # waiting for a place
    assert sequencer.sequence().size == 4
    verdict = audit.verify()
    assert (verdict.ok, verdict.entries) == (True, 4)
    assert list(AuditEntry.objects.order_by("seq").values_list("actor", flat=True)) == [
        f"task:old:{n}" for n in range(1, 5)]  # fmt: skip


def test_a_tampered_old_chain_stops_the_upgrade(latest):
    apps = _migrate(BEFORE)
    _old_log(apps)
    apps.get_model("enforcement", "AuditEntry").objects.filter(seq=2).update(purpose="x")
    with pytest.raises(RuntimeError, match="audit entry #2 was edited: not upgraded"):
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    apps.get_model("enforcement", "AuditEntry").objects.all().delete()
