"""The audit log as a Merkle tree (RFC 6962): appends take no shared lock and wait in a
queue the sequencer places in order; proofs of inclusion and consistency verify against
signed tree heads, and fail when an entry was tampered with; the old hash chain's
entries become the tree's first leaves."""

import hashlib
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from hippocratic.enforcement import audit, merkle, proofs, sequencer, tree
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.models import AuditEntry, AuditHead, AuditNode
from hippocratic.policy.reasons import Reason

pytestmark = [pytest.mark.django_db, pytest.mark.promise("SEC-5")]


def _append(n, who="tests", subject_ref="*") -> list[int]:
    """`n` entries; their ids (collecting() asks the database for them)."""
    with audit.collecting() as ids:
        for i in range(n):
            audit.append(actor=Actor.system(f"{who}:{i}"), action=Action.READ,
                         purpose="essential.service", reason=Reason.ALLOWED, subject="customer",
                         subject_ref=subject_ref, allowed=True)  # fmt: skip
    return ids


def _sql(statement, *params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def signing(tmp_path):
    key = tmp_path / "audit.pem"
    audit.generate_key(key)
    with override_settings(HIPPOCRATIC_AUDIT_KEY=str(key),
                           HIPPOCRATIC_AUDIT_CHECKPOINTS=str(tmp_path / "heads")):  # fmt: skip
        yield audit.operator_key()[0]


def test_an_append_waits_in_the_queue_until_the_sequencer_places_it():
    ids = _append(3)
    assert list(AuditEntry.objects.filter(id__in=ids).values_list("seq", "hash")) == [
        (None, None)] * 3  # fmt: skip
    done = sequencer.sequence()
    assert (done.integrated, done.size) == (3, 3)
    placed = AuditEntry.objects.filter(id__in=ids).order_by("id")
    assert [e.seq for e in placed] == [1, 2, 3]  # in the order written
    assert sequencer.sequence().integrated == 0  # idempotent: nothing twice
    assert AuditHead.objects.get().seq == 3


def test_the_tree_is_rfc_6962s():
    """Leaf and node hashes, the root, and what the sequencer stores, against the RFC's
    recursive definition computed here from the entries' own bytes."""
    _append(13)
    sequencer.sequence(batch=4)  # several batches: the frontier carries between them
    leaves = [tree.canonical(e) for e in
              AuditEntry.objects.order_by("seq").values(*tree.HASHED_FIELDS)]  # fmt: skip

    def mth(data):
        if len(data) == 1:
            return hashlib.sha256(b"\x00" + data[0]).digest()
        k = 1 << ((len(data) - 1).bit_length() - 1)
        return hashlib.sha256(b"\x01" + mth(data[:k]) + mth(data[k:])).digest()

    assert AuditHead.objects.get().hash == mth(leaves).hex()
    assert tree.stored_root(13) == mth(leaves)
    assert tree.stored_root(8) == mth(leaves[:8])
    assert AuditNode.objects.count() == 13 - bin(13).count("1")  # the perfect subtrees
    assert audit.verify().ok


def test_inclusion_and_consistency_proofs_verify(signing):
    _append(6)
    first = audit.checkpoint()
    _append(5)
    second = audit.checkpoint()
    for seq in range(1, 12):
        proof = proofs.inclusion(seq)
        assert proof["tree_size"] == 11
        assert proofs.check(proof, signing) == (
            True,
            f"entry #{seq} is included in the log signed at {second.at.isoformat()}",
        )
    path = [bytes.fromhex(h) for h in proofs.consistency(6, 11)]
    assert merkle.verify_consistency(6, 11, bytes.fromhex(first.hash),
                                     bytes.fromhex(second.hash), path)  # fmt: skip


def test_a_tampered_entry_fails_its_proof(signing, tmp_path):
    _append(5)
    audit.checkpoint()
    _sql("UPDATE enforcement_auditentry SET purpose = 'marketing.advertising' WHERE seq = 3")
    proof = proofs.inclusion(3)  # what the server now holds and serves
    ok, said = proofs.check(proof, signing)
    assert (ok, said.split(" in the log")[0]) == (False, "entry #3 is NOT")
    # shown one thing and proven another: refused
    honest = proofs.inclusion(2)
    assert (
        proofs.check(honest | {"entry": honest["entry"] | {"allowed": False}}, signing)[0] is False
    )
    # the command says so too
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof))
    with pytest.raises(CommandError, match="NOT in the log"):
        call_command("audit", "check-proof", str(path))
    path.write_text(json.dumps(honest))
    call_command("audit", "check-proof", str(path))


def test_a_forged_head_is_refused(signing, tmp_path):
    _append(3)
    audit.checkpoint()
    proof = proofs.inclusion(1)
    forged = proof | {"head": proof["head"] | {"at": "2099-01-01T00:00:00+00:00"}}
    assert proofs.check(forged, signing) == (
        False,
        "the tree head's signature does not verify with the operator's key",
    )
    other = tmp_path / "other.pem"
    audit.generate_key(other)
    with override_settings(HIPPOCRATIC_AUDIT_KEY=str(other)):
        foreign = audit.operator_key()[0]
    assert proofs.check(proof, foreign)[0] is False
    assert proofs.check({"nonsense": 1}, signing) == (
        False,
        "not a proof: a field is missing or malformed",
    )


def test_an_entry_newer_than_the_newest_head_has_no_proof_yet(signing):
    _append(2)
    audit.checkpoint()
    _append(1)
    sequencer.sequence()
    with pytest.raises(LookupError, match="covered by the next one"):
        proofs.inclusion(3)


def test_the_old_chain_becomes_the_first_leaves():
    """Entries written before the tree (hash-chained, numbered, no leaf) are placed
    first with their own numbers; their links are still checked."""
    prev = "0" * 64
    for seq in (1, 2, 3):
        values = {"seq": seq, "at": audit._now(), "actor": "system:old", "role": "system",
                  "purpose": "essential.service", "action": "read", "subject": "customer",
                  "subject_ref": "*", "categories": [], "allowed": True, "reason": "allowed",
                  "rule": "", "promise": "", "rows": 0, "policy_version": ""}  # fmt: skip
        digest = audit.chain_hash(prev, values)
        AuditEntry.objects.bulk_create([AuditEntry(**values, prev_hash=prev, chain_hash=digest)])
        prev = digest
    _append(2)  # new entries, written after the upgrade
    sequencer.sequence(batch=2)
    assert list(AuditEntry.objects.order_by("seq").values_list("actor", flat=True)) == [
        "system:old", "system:old", "system:old", "task:tests:0", "task:tests:1"]  # fmt: skip
    assert audit.verify().ok
    _sql("UPDATE enforcement_auditentry SET prev_hash = %s WHERE seq = 2", "f" * 64)
    verdict = audit.verify()
    assert (verdict.ok, verdict.seq) == (False, 2)


def test_a_sequencer_that_dies_mid_batch_leaves_nothing_half_placed(monkeypatch):
    _append(5)

    def crash(*args):
        raise RuntimeError("killed")

    monkeypatch.setattr(sequencer, "_place", crash)
    with pytest.raises(RuntimeError):
        sequencer.sequence()
    assert not AuditEntry.objects.filter(seq__isnull=False).exists()
    assert not AuditNode.objects.exists()
    monkeypatch.undo()
    assert sequencer.sequence().size == 5
    assert audit.verify().ok


def test_the_merge_delay_is_measured():
    _append(2)
    done = sequencer.sequence()
    assert len(done.delays) == 2 and 0 <= done.max_delay < 60


def test_a_late_committer_below_the_quick_passes_start_is_placed_by_the_next_sweep():
    """A worker's quick pass looks only past the newest entry it placed (PostgreSQL's
    pending index keeps placed entries until vacuum); an entry given a smaller id by a
    transaction that committed later still gets its place, at the next sweep."""
    if connection.vendor != "postgresql":
        pytest.skip("the quick pass is PostgreSQL's (SQLite's index drops placed entries)")
    _append(2)
    sequencer.sequence()
    [ahead] = _append(1)
    _sql("UPDATE enforcement_auditentry SET id = id + 100 WHERE id = %s", ahead)
    sequencer.sequence(sweep=False)  # the newest placed is now ahead + 100
    [late] = _append(1)  # ahead + 1: below it, as a late committer's would be
    assert late < ahead + 100
    assert sequencer.sequence(sweep=False).integrated == 0
    done = sequencer.sequence(sweep=True)
    assert (done.integrated, done.size) == (1, 4)
    assert AuditEntry.objects.get(id=late).seq == 4
    assert audit.verify().ok


def test_the_workers_loop_sweeps_on_its_first_pass_and_stops_when_told(monkeypatch):
    """run_forever: the first pass is a sweep, later ones quick until the next sweep."""
    sweeps = []

    class Once:
        calls = 0

        def is_set(self):
            Once.calls += 1
            return Once.calls > 3

    monkeypatch.setattr(sequencer, "sequence", lambda sweep: sweeps.append(sweep))
    sequencer.run_forever(0, stop=Once())
    assert sweeps == [True, False, False]
