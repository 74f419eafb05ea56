"""The audit log shows any tampering: each kind of edit is caught at the right entry,
by the tree alone where the tamperer left it inconsistent, and by a signed tree head
kept outside where they rebuilt it."""

import base64
import datetime as dt
import json
import re
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from hippocratic.enforcement import audit, sequencer
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.models import AuditEntry
from hippocratic.enforcement.tree import leaf_of
from hippocratic.policy.reasons import Reason

pytestmark = [pytest.mark.django_db, pytest.mark.promise("SEC-5")]


def _fill(n=5, actor="user"):
    for i in range(n):
        audit.append(
            actor=Actor.system(f"{actor}:{i}"), action=Action.READ, purpose="essential.service",
            reason=Reason.ALLOWED, subject="customer", categories=["user.name"], allowed=True,
        )  # fmt: skip
    sequencer.sequence()  # as the worker would, within its merge delay


def _sql(statement, *params):
    """Tamper as an attacker with database access would: behind the ORM's back."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_intact_chain_verifies():
    _fill()
    verdict = audit.verify()
    assert (verdict.ok, verdict.entries) == (True, 5)


def test_edited_entry_is_named():
    _fill()
    _sql("UPDATE enforcement_auditentry SET purpose = 'marketing' WHERE seq = 3")
    verdict = audit.verify()
    assert (verdict.ok, verdict.seq, verdict.problem) == (
        False, 3, "its content or its place was changed")  # fmt: skip


def test_deleted_entry_is_named():
    _fill()
    _sql("DELETE FROM enforcement_auditentry WHERE seq = 2")
    verdict = audit.verify()
    assert (verdict.ok, verdict.seq) == (False, 2)
    assert "deleted" in verdict.problem


def test_deleted_last_entry_is_named():
    _fill()
    _sql("DELETE FROM enforcement_auditentry WHERE seq = 5")
    verdict = audit.verify()
    assert (verdict.ok, verdict.seq) == (False, 5)


def test_inserted_entry_is_named():
    """A forged entry slipped in with renumbering, every leaf recomputed to match: the
    tree's stored nodes above them no longer agree."""
    _fill()
    _sql("UPDATE enforcement_auditentry SET seq = seq + 100 WHERE seq >= 3")
    _sql("UPDATE enforcement_auditentry SET seq = seq - 99 WHERE seq >= 103")
    _sql(
        "INSERT INTO enforcement_auditentry (seq, at, actor, role, purpose, action, subject, "
        "subject_ref, categories, allowed, reason, rule, promise, rows, policy_version, "
        "prev_hash, chain_hash) "
        "SELECT 3, at, 'forger', role, purpose, action, subject, subject_ref, categories, "
        "allowed, reason, rule, promise, rows, policy_version, '', '' "
        "FROM enforcement_auditentry WHERE seq = 2",
    )  # fmt: skip
    _releaf()
    verdict = audit.verify()
    assert verdict.ok is False
    assert verdict.seq == 3


def _releaf():
    """Recompute every entry's leaf hash from its content, as a tamperer would."""
    for entry in AuditEntry.objects.order_by("seq"):
        values = {name: getattr(entry, name) for name in audit.HASHED_FIELDS}
        _sql("UPDATE enforcement_auditentry SET hash = %s WHERE id = %s",
             leaf_of(values).hex(), entry.id)  # fmt: skip


def test_reordered_entries_are_named():
    _fill()
    _sql("UPDATE enforcement_auditentry SET seq = -1 WHERE seq = 2")
    _sql("UPDATE enforcement_auditentry SET seq = 2 WHERE seq = 3")
    _sql("UPDATE enforcement_auditentry SET seq = 3 WHERE seq = -1")
    verdict = audit.verify()
    assert (verdict.ok, verdict.seq) == (False, 2)
    assert "its place was changed" in verdict.problem


def test_verify_command_fails_on_tampering():
    _fill()
    call_command("audit", "verify", "--chain-only")
    _sql("UPDATE enforcement_auditentry SET allowed = NOT allowed WHERE seq = 4")
    with pytest.raises(CommandError, match="broken at entry #4"):
        call_command("audit", "verify", "--chain-only")


def test_signed_checkpoint_detects_a_rewritten_chain(tmp_path):
    """An attacker who rewrites the whole chain consistently is caught by a kept checkpoint."""
    _fill(3)
    key = tmp_path / "audit.pem"
    with override_settings(HIPPOCRATIC_AUDIT_KEY=str(key)):
        audit.generate_key(key)
        kept = audit.checkpoint_data(audit.checkpoint())
        assert audit.verify_checkpoint(kept).ok
        # Rebuild the log from scratch with different content: internally consistent.
        _emptied()
        _fill(3, actor="rewritten")
        assert audit.verify().ok
        verdict = audit.verify_checkpoint(kept)
        assert verdict.ok is False
        assert verdict.problem == "the log's first 3 entries differ from the signed head"
        forged = kept | {"hash": "f" * 64}
        assert "signature does not verify" in audit.verify_checkpoint(forged).problem


def test_a_checkpoint_signed_with_another_key_is_refused(tmp_path):
    """A forger signs the rewritten head with their own key and writes that key into the
    checkpoint: verification uses the operator's key, never the one inside."""
    _fill(3)
    ours, theirs = tmp_path / "ours.pem", tmp_path / "theirs.pem"
    audit.generate_key(ours)
    with override_settings(HIPPOCRATIC_AUDIT_KEY=str(theirs)):
        audit.generate_key(theirs)
        forged = audit.checkpoint_data(audit.checkpoint())
    with override_settings(HIPPOCRATIC_AUDIT_KEY=str(ours)):
        verdict = audit.verify_checkpoint(forged)
        public, _ = audit.operator_key()
    assert verdict.ok is False
    assert f"does not verify with the key file {ours} (key {audit.key_id(public)})" in (
        verdict.problem
    )


def test_checkpoint_command_prints_a_signed_head(tmp_path, capsys):
    _fill(2)
    key = tmp_path / "k.pem"
    with override_settings(HIPPOCRATIC_AUDIT_KEY=str(key), DEBUG=False,
                           HIPPOCRATIC_AUDIT_CHECKPOINTS=str(tmp_path / "kept")):  # fmt: skip
        with pytest.raises(CommandError, match="no audit signing key"):
            call_command("audit", "checkpoint")
        call_command("audit", "keygen")
        out = tmp_path / "head.json"
        call_command("audit", "checkpoint", "-o", str(out))
        data = json.loads(out.read_text())
        assert data["seq"] == 2
        call_command("audit", "verify", "--checkpoint", str(out))
    assert "HIPPOCRATIC_AUDIT_PUBLIC_KEY=" in capsys.readouterr().out


@pytest.fixture
def kept(tmp_path):
    """The default set-up: a signing key, and checkpoints kept in a folder of their own."""
    key = tmp_path / "audit.pem"
    audit.generate_key(key)
    folder = str(tmp_path / "checkpoints")
    with override_settings(HIPPOCRATIC_AUDIT_KEY=str(key), HIPPOCRATIC_AUDIT_CHECKPOINTS=folder):
        yield


def _rebuild_tree() -> None:
    """Throw the tree away and let the sequencer build it again from the entries as they
    now stand: what a tamperer with the database does to make an edit consistent."""
    _sql("UPDATE enforcement_auditentry SET hash = NULL")
    _sql("DELETE FROM enforcement_auditnode")
    _sql("UPDATE enforcement_audithead SET seq = 0")
    sequencer.sequence()


def _tail_cut():
    _sql("DELETE FROM enforcement_auditentry WHERE seq > 3")
    _rebuild_tree()


def _emptied():
    _sql("DELETE FROM enforcement_auditentry")
    _sql("DELETE FROM enforcement_auditnode")
    _sql("DELETE FROM enforcement_audithead")


def _edited_and_rehashed():
    _sql("UPDATE enforcement_auditentry SET purpose = 'marketing' WHERE seq = 2")
    _rebuild_tree()


@pytest.mark.parametrize("tamper", [_tail_cut, _emptied, _edited_and_rehashed])
def test_verify_by_default_detects_every_kind_of_rewrite(kept, tamper):
    _fill(5)
    call_command("audit", "checkpoint")
    _fill(2, actor="later")
    call_command("audit", "verify")  # intact, and proven by the kept checkpoint
    tamper()
    assert audit.verify().ok is True  # the tree alone cannot tell …
    with pytest.raises(CommandError):  # … the kept checkpoint can
        call_command("audit", "verify")


def test_verify_fails_without_a_recent_checkpoint(kept):
    _fill(2)
    with pytest.raises(CommandError, match="no checkpoint outside the database"):
        call_command("audit", "verify")
    call_command("audit", "checkpoint")
    call_command("audit", "verify")
    later = audit._now() + dt.timedelta(hours=26)
    with (
        mock.patch.object(audit, "_now", return_value=later),
        pytest.raises(CommandError, match="no checkpoint newer than 1 day, 1:00:00"),
    ):
        call_command("audit", "verify")
    call_command("audit", "verify", "--chain-only")


def test_each_entry_records_the_policy_version_inside_its_hash(settings):
    from hippocratic.provider import loaded_policy

    _fill(1)
    entry = AuditEntry.objects.get()
    assert entry.policy_version == loaded_policy().version
    assert len(entry.policy_version) == 64
    _sql("UPDATE enforcement_auditentry SET policy_version = %s", "0" * 64)
    verdict = audit.verify()
    assert (verdict.ok, verdict.seq) == (False, 1)


def test_the_writer_takes_enums_not_strings():
    with pytest.raises(TypeError):
        audit.append(
            actor=Actor.system("tests"), action="read", purpose="essential.service",
            reason=Reason.ALLOWED, subject="customer", allowed=True,
        )  # fmt: skip
    assert not AuditEntry.objects.exists()


def test_no_module_writes_audit_rows_by_hand():
    """One typed writer: nothing but audit.py creates AuditEntry rows."""
    from tests_paths import REPO

    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "src" / "hippocratic").rglob("*.py")
        if "migrations" not in path.parts
        and path.name != "audit.py"
        and re.search(r"AuditEntry\.objects\.(bulk_)?create|[=(]\s*AuditEntry\(", path.read_text())
    ]
    assert offenders == []


def test_a_rewritten_log_is_not_signed_again_and_an_older_head_still_catches_it(kept):
    """The signing job refuses a log that does not extend the last signed head; and were
    a head signed over a rewrite anyway, every kept head is checked, not the newest only."""
    _fill(5)
    call_command("audit", "checkpoint")
    _edited_and_rehashed()
    with pytest.raises(CommandError, match="refusing to sign: the log does not extend"):
        call_command("audit", "checkpoint")
    with mock.patch.object(audit, "_extends_the_last_head"):  # as a forger with the key
        audit.keep_checkpoint(audit.checkpoint())
    verdict = audit.verify_against_newest_checkpoint()
    assert verdict.ok is False
    assert "the log's first 5 entries differ from the signed head" in verdict.problem


@pytest.mark.parametrize("tamper", [_tail_cut, _emptied])
def test_a_cut_or_emptied_log_is_not_signed_again(kept, tamper):
    _fill(5)
    call_command("audit", "checkpoint")
    tamper()
    with pytest.raises(CommandError, match="refusing to sign"):
        call_command("audit", "checkpoint")


def test_a_placed_entry_made_pending_again_is_named():
    _fill(3)
    _sql("UPDATE enforcement_auditentry SET hash = NULL WHERE seq = 2")
    verdict = audit.verify()
    assert (verdict.ok, verdict.seq) == (False, 2)


def test_a_log_the_sequencer_cannot_continue_is_reported_not_raised():
    """An old-chain entry past a gap (its number two beyond the tree) stops the
    sequencer; verify reports it instead of raising."""
    _fill(3)
    _sql("UPDATE enforcement_auditentry SET seq = 5, hash = NULL WHERE seq = 3")
    _sql("UPDATE enforcement_audithead SET seq = 2")
    verdict = audit.verify()
    assert verdict.ok is False
    assert verdict.problem.startswith("the sequencer cannot place entries")


def _kept_files():
    from pathlib import Path

    from django.conf import settings

    return sorted(Path(settings.HIPPOCRATIC_AUDIT_CHECKPOINTS).glob("*.json"))


def test_an_old_head_redated_as_newest_does_not_pass_a_cut_log(kept):
    """Issue 30, item 11: with write access to the checkpoint folder, the newest head
    removed and an old genuine head's time moved to now: its signature covers its time,
    so it no longer verifies, and the cut log is not passed."""
    _fill(2)
    long_ago = audit._now() - dt.timedelta(hours=30)
    with mock.patch.object(audit, "_now", return_value=long_ago):
        call_command("audit", "checkpoint")
    [old] = _kept_files()
    _fill(3, actor="later")
    call_command("audit", "checkpoint")
    newest = next(path for path in _kept_files() if path != old)
    _tail_cut()  # the last entries gone …
    newest.unlink()  # … with the head that signed them
    data = json.loads(old.read_text())
    data["at"] = audit._now().isoformat()
    old.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="signature does not verify"):
        call_command("audit", "verify")


def test_the_newest_head_is_chosen_by_size_and_an_unsigned_time_counts_for_nothing(kept):
    """Issue 30, item 11: a checkpoint of the old chain carries a time its signature does
    not cover; dated now, it must not make a day-old log look recently signed. The
    newest head is the one of the largest size, whatever the files' dates say."""
    _fill(2)
    long_ago = audit._now() - dt.timedelta(hours=30)
    with mock.patch.object(audit, "_now", return_value=long_ago):
        call_command("audit", "checkpoint")
    private = audit._signing_key()
    chain = {"seq": 0, "hash": "0" * 64, "at": audit._now().isoformat()}
    chain["signature"] = base64.b64encode(private.sign(audit.statement(chain))).decode()
    folder = _kept_files()[0].parent
    (folder / "99991231T000000000000-000000000000.json").write_text(json.dumps(chain))
    with pytest.raises(CommandError, match="no checkpoint newer than"):
        call_command("audit", "verify")
    assert proofs_newest_seq() == 2


def proofs_newest_seq():
    data, _ = audit.newest_checkpoint()
    return int(data["seq"])


def test_files_in_the_checkpoint_folder_that_are_no_head_of_ours_decide_nothing(kept):
    """A break-it review: a copy of a head with a naive time crashed verify and the
    signing job; an unsigned file claiming a billion entries stopped all signing."""
    _fill(2)
    call_command("audit", "checkpoint")
    [real] = _kept_files()
    naive = json.loads(real.read_text())
    naive["at"] = "2026-12-03T17:28:24"
    (real.parent / "naive.json").write_text(json.dumps(naive))
    forged = {**json.loads(real.read_text()), "seq": 10**9, "signature": "AAAA"}
    (real.parent / "forged.json").write_text(json.dumps(forged))
    call_command("audit", "checkpoint")  # signs again: the forged file is not its last head
    assert audit.AuditCheckpoint.objects.filter(format=audit.TREE_HEAD).count() == 2
    with pytest.raises(CommandError, match="signature does not verify"):
        call_command("audit", "verify")  # the forged head is still reported, not trusted


def test_a_verification_dated_ahead_is_no_ones():
    """A break-it review: a row dated 2099 stayed 'the newest outcome' for ever."""
    _fill(2)
    audit.AuditVerification.objects.create(
        at=audit._now() + dt.timedelta(days=30000), ok=True, entries=2
    )
    _sql("UPDATE enforcement_auditentry SET purpose = 'x.tampered' WHERE seq = 1")
    assert audit.recent_verification().ok is False
