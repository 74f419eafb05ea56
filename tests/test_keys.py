"""`hippocratic keys`: the audit signing key and the mailbox key made with safe modes,
never overwritten, and rotated without losing what the old keys signed or sealed."""

import base64
import datetime as dt
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.test import override_settings
from factories import ADA, address, letter
from tests_paths import use_profile

from hippocratic import keys
from hippocratic.communications import crypto, harm, mailbox
from hippocratic.enforcement import audit
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.audit import Action
from hippocratic.messaging import inbound
from hippocratic.policy.reasons import Reason

HIPPOCRATIC = Path(sys.executable).parent / "hippocratic"


def _bare_env(home: Path) -> dict:
    """A production shell before any set-up: no secret, no mailbox key, no debug."""
    drop = ("SECRET_KEY", "HIPPOCRATIC_MAILBOX_KEY", "HIPPOCRATIC_DEBUG", "HIPPOCRATIC_AUDIT_KEY",
            "HIPPOCRATIC_MAILBOX_KEY_FILE", "DJANGO_SETTINGS_MODULE")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return env | {"HIPPOCRATIC_HOME": str(home)}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_init_makes_both_keys_private_before_the_settings_can_load(tmp_path):
    run = subprocess.run([HIPPOCRATIC, "keys", "init"], env=_bare_env(tmp_path), cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr
    folder = tmp_path / "var" / "keys"
    signing, ring = folder / "audit-ed25519.pem", folder / "mailbox.key"
    assert (_mode(folder), _mode(signing), _mode(ring)) == (0o700, 0o600, 0o600)
    key = serialization.load_pem_private_key(signing.read_bytes(), password=None)
    assert len(base64.urlsafe_b64decode(ring.read_text().strip())) == 32
    # It says what to back up, and where.
    assert str(signing) in run.stdout and str(ring) in run.stdout and "Back up" in run.stdout
    assert keys.public_b64(key) in run.stdout  # the public key a verifying machine needs
    # Never overwritten: a second run changes nothing and says so.
    before = signing.read_bytes(), ring.read_bytes()
    again = subprocess.run([HIPPOCRATIC, "keys", "init"], env=_bare_env(tmp_path), cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert again.returncode == 0 and "nothing was overwritten" in again.stdout
    assert (signing.read_bytes(), ring.read_bytes()) == before
    # Production's settings now load: the ring is read from the file.
    shown = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; "
         "print(settings.HIPPOCRATIC_MAILBOX_KEY, settings.HIPPOCRATIC_AUDIT_KEY)"],
        env=_bare_env(tmp_path) | {"SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "example.com",
                                   "DJANGO_SETTINGS_MODULE": "hippocratic.settings"},
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [ring.read_text().strip(), str(signing)]


def test_bad_usage_and_rotation_before_init_are_one_line_errors(tmp_path):
    env = _bare_env(tmp_path)
    wrong = subprocess.run([HIPPOCRATIC, "keys", "rotate"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert wrong.returncode == 2 and "usage: hippocratic keys" in wrong.stderr
    early = subprocess.run([HIPPOCRATIC, "keys", "rotate", "mailbox"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert early.returncode == 1
    assert early.stderr.strip().endswith("run `hippocratic keys init`")
    assert "Traceback" not in early.stderr


def _append(n: int) -> None:
    for i in range(n):
        audit.append(actor=Actor.system(f"tests:{i}"), action=Action.READ,
                     purpose="essential.service", reason=Reason.ALLOWED, subject="customer",
                     subject_ref="*", allowed=True)  # fmt: skip


@pytest.fixture
def key_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HIPPOCRATIC_HOME", str(tmp_path))
    for name in ("HIPPOCRATIC_AUDIT_KEY", "HIPPOCRATIC_MAILBOX_KEY",
                 "HIPPOCRATIC_MAILBOX_KEY_FILE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.promise("SEC-5")
@pytest.mark.django_db
def test_heads_signed_before_an_audit_key_rotation_still_verify(key_home):
    made = keys.init()
    with override_settings(HIPPOCRATIC_AUDIT_KEY=str(made.audit),
                           HIPPOCRATIC_AUDIT_CHECKPOINTS=str(key_home / "heads")):  # fmt: skip
        _append(3)
        old_private = serialization.load_pem_private_key(made.audit.read_bytes(), None)
        first = audit.checkpoint_data(audit.checkpoint())
        audit.keep_checkpoint(audit.AuditCheckpoint.objects.get(seq=first["seq"]))
        _path, old_public, new_public = keys.rotate_audit()
        assert old_public != new_public == keys.public_b64(
            serialization.load_pem_private_key(made.audit.read_bytes(), None))  # fmt: skip
        _append(2)
        audit.keep_checkpoint(audit.checkpoint())
        assert audit.verify_against_newest_checkpoint().ok  # both heads, two keys
        assert audit.verify_checkpoint(first).ok  # the old head, alone
        # A retired key signs nothing new: a head it signed after its retirement fails.
        later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        forged = {"format": audit.TREE_HEAD, "seq": 5, "hash": audit.stored_root(5).hex(),
                  "at": later.isoformat()}  # fmt: skip
        forged["signature"] = base64.b64encode(
            old_private.sign(audit.statement(forged))).decode()  # fmt: skip
        assert not audit.verify_checkpoint(forged).ok
        # Without the retired key kept, the old head no longer verifies: the file matters.
        keys.retired_path(made.audit).unlink()
        assert not audit.verify_checkpoint(first).ok
        assert not audit.verify_against_newest_checkpoint().ok
        # A machine that only verifies lists the old key instead.
        with override_settings(HIPPOCRATIC_AUDIT_OLD_PUBLIC_KEYS=[old_public]):
            assert audit.verify_against_newest_checkpoint().ok


@pytest.mark.promise("COM-1")
@pytest.mark.django_db
def test_mail_sealed_under_the_old_mailbox_key_opens_after_a_rotation(key_home, signed_up):
    made = keys.init()
    old_ring = keys.mailbox_ring_from_file(made.mailbox)
    with use_profile("isp"), override_settings(HIPPOCRATIC_MAILBOX_KEY=old_ring):
        _client, me = signed_up("ada", ADA)
        got = inbound.receive(letter(address()), [address()])
        assert got.kind == "mailbox"
        before = crypto.new_wrapped_key(99)
    keys.rotate_mailbox()
    ring = keys.mailbox_ring_from_file(made.mailbox)
    assert _mode(made.mailbox) == 0o600 and ring.split(",")[1:] == [old_ring]
    with use_profile("isp"), override_settings(HIPPOCRATIC_MAILBOX_KEY=ring):
        (stored,) = mailbox.page(me)  # sealed before: opens
        assert stored.subject == "Lunch on Friday?"
        inbound.receive(letter(address()), [address()])  # the MTA's retry: still kept once
        assert len(mailbox.page(me)) == 1
        message_id = "<m1@friend.example>"  # factories.letter's
        assert harm.report_by_header(address(), message_id, reason="spam") is not None
        assert crypto.cipher(99, before)  # a key wrapped before opens
        after = crypto.new_wrapped_key(100)  # the new key wraps
    with override_settings(HIPPOCRATIC_MAILBOX_KEY=old_ring), pytest.raises(crypto.Unreadable):
        crypto.cipher(100, after)


def test_a_mailbox_key_file_it_cannot_read_is_one_line_not_a_traceback(tmp_path):
    (tmp_path / "var" / "keys" / "mailbox.key").mkdir(parents=True)  # there, not readable
    env = _bare_env(tmp_path) | {"SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "example.com"}
    run = subprocess.run([HIPPOCRATIC, "check"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "cannot read the mailbox key file" in run.stderr and "Is a directory" in run.stderr
