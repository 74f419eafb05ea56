"""`hippocratic deploy check [--fix]`: every line of what a production site lacks, exit 0
only when all hold; `--fix` makes the missing keys, even where the settings cannot load
for want of them."""

import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from aiosmtpd.handlers import Sink
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from factories import SMTPServer

from hippocratic import keys
from hippocratic.jobs import heartbeat
from hippocratic.site import deploy
from hippocratic.versions import publishing

HIPPOCRATIC = Path(sys.executable).parent / "hippocratic"
STRONG = "k3y-" + "Zq9xT2mLp8vR4sW7yB1nC6dF0gH5jK" * 2


@pytest.fixture(autouse=True)
def _no_async_unsafe(monkeypatch):
    """The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright at import;
    in the same test process (any full run, and each pytest-xdist worker) Django's own
    deployment check then failed here with async.E001. A production shell has no such
    variable."""
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)


def _check(*args) -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("deploy", "check", *args, stdout=out)
    except CommandError as error:
        return False, out.getvalue() + str(error)
    return True, out.getvalue()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the test connects


@pytest.fixture
def production(tmp_path, monkeypatch):
    """Production as the README sets it up: keys made, static files collected, the
    policy published, a mail server answering, a worker alive, checkpoints on a disk
    other than the database's (tmpfs)."""
    tmpfs = Path("/dev/shm")  # noqa: S108  (a folder of its own is made in it, mode 0700)
    if not tmpfs.is_dir():
        pytest.skip("needs a second file system (/dev/shm)")
    other_disk = Path(tempfile.mkdtemp(dir=tmpfs))
    monkeypatch.setenv("HIPPOCRATIC_HOME", str(tmp_path))
    for name in ("HIPPOCRATIC_AUDIT_KEY", "HIPPOCRATIC_MAILBOX_KEY",
                 "HIPPOCRATIC_MAILBOX_KEY_FILE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    made = keys.init()
    static = tmp_path / "static"
    static.mkdir()
    (static / "staticfiles.json").write_text("{}")
    server = SMTPServer(Sink())
    server.start()
    mailer = {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
              "OPTIONS": {"host": "127.0.0.1", "port": server.port}}  # fmt: skip
    with override_settings(
        SECRET_KEY=STRONG, SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000,
        SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True,
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
        HIPPOCRATIC_AUDIT_KEY=str(made.audit), HIPPOCRATIC_MAILBOX_KEY="",
        HIPPOCRATIC_MAILBOX_KEY_FILE=str(made.mailbox),
        HIPPOCRATIC_AUDIT_CHECKPOINTS=str(other_disk / "heads"),
        STATIC_ROOT=str(static), MAILERS={"default": mailer}, HIPPOCRATIC_POLICY_VERSIONS=True,
    ):  # fmt: skip
        publishing.publish(settings.HIPPOCRATIC_POLICY, at_once=True)
        heartbeat.beat()
        yield made
    server.stop()
    shutil.rmtree(other_disk, ignore_errors=True)


@pytest.mark.django_db
def test_a_site_set_up_as_the_readme_says_passes_every_check(production):
    ok, said = _check()
    assert ok, said
    lines = said.splitlines()
    assert lines[-1].startswith("all ") and not any(line.startswith("FAIL") for line in lines)
    for about in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT",
                  "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
                  "SECURE_PROXY_SSL_HEADER", "audit signing key", "mailbox key",
                  "checkpoints folder", "database", "policy (strict)", "policy published",
                  "static files", "mail transport", "worker", "audit sequencer",
                  "system checks"):  # fmt: skip
        assert any(line.startswith(f"ok    {about}:") for line in lines), about


@pytest.mark.django_db
def test_each_thing_wrong_is_one_failing_line(production, tmp_path):
    made = production
    made.mailbox.chmod(0o644)  # readable by others
    with override_settings(
        SECRET_KEY="short", DEBUG=True, ALLOWED_HOSTS=["*"], SECURE_SSL_REDIRECT=False,
        SECURE_HSTS_SECONDS=0, SECURE_PROXY_SSL_HEADER=None,
        HIPPOCRATIC_AUDIT_KEY=str(tmp_path / "gone.pem"),
        HIPPOCRATIC_AUDIT_CHECKPOINTS=str(Path(settings.DATABASES["default"]["NAME"]).parent),
        STATIC_ROOT=str(tmp_path / "nothing"),
        MAILERS={"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                             "OPTIONS": {"host": "127.0.0.1", "port": _closed_port()}}},
    ):  # fmt: skip
        heartbeat.WorkerHeartbeat.objects.update(seen_at="2020-01-01T00:00:00Z")
        publishing.PolicyVersion.objects.all().delete()
        ok, said = _check()
    assert not ok
    failing = {line.split(":")[0].removeprefix("FAIL  ") for line in said.splitlines()
               if line.startswith("FAIL")}  # fmt: skip
    assert failing == {
        "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER", "audit signing key", "mailbox key", "checkpoints folder",
        "policy published", "static files", "mail transport", "worker",
    }  # fmt: skip
    assert "chmod 600" in said and "too short" in said and "does not answer" in said
    assert "same disk as" in said and "keys init" in said  # SQLite, or PostgreSQL's data
    assert said.strip().endswith("checks fail")


@pytest.mark.django_db
def test_fix_makes_the_missing_keys_and_nothing_else(production, tmp_path):
    audit = tmp_path / "new" / "audit.pem"
    with override_settings(HIPPOCRATIC_AUDIT_KEY=str(audit)):
        os.environ["HIPPOCRATIC_AUDIT_KEY"] = str(audit)
        try:
            before = production.mailbox.read_bytes()
            assert not _check()[0]
            ok, said = _check("--fix")
        finally:
            del os.environ["HIPPOCRATIC_AUDIT_KEY"]
    assert ok, said
    assert f"fixed created the audit signing key {audit}" in said
    assert production.mailbox.read_bytes() == before  # an existing key is left alone


def test_unapplied_migrations_are_a_failing_line(monkeypatch):
    class Pending:
        def __init__(self, connection):
            self.loader = type("L", (), {"graph": type("G", (), {"leaf_nodes": list})()})()

        def migration_plan(self, targets):
            return [("jobs", "0002")]

    monkeypatch.setattr(deploy, "MigrationExecutor", Pending)
    (line,) = deploy.migrations()
    assert not line.ok and "1 migration(s) not applied" in line.said


def test_in_a_bare_shell_it_says_what_the_settings_lack_and_fix_makes_the_keys(tmp_path):
    drop = ("SECRET_KEY", "HIPPOCRATIC_MAILBOX_KEY", "HIPPOCRATIC_DEBUG", "HIPPOCRATIC_AUDIT_KEY",
            "HIPPOCRATIC_MAILBOX_KEY_FILE", "DJANGO_SETTINGS_MODULE", "DATABASE_URL")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env |= {
        "HIPPOCRATIC_HOME": str(tmp_path),
        "ALLOWED_HOSTS": "example.com",
        "HIPPOCRATIC_POLICY": settings.HIPPOCRATIC_POLICY,
    }
    bare = subprocess.run([HIPPOCRATIC, "deploy", "check"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert bare.returncode == 1 and "Traceback" not in bare.stderr
    assert bare.stdout.startswith("FAIL  settings: SECRET_KEY and HIPPOCRATIC_MAILBOX_KEY")
    fixed = subprocess.run([HIPPOCRATIC, "deploy", "check", "--fix"],
                           env=env | {"SECRET_KEY": STRONG}, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert "fixed created the mailbox key" in fixed.stdout, fixed.stderr
    assert "ok    mailbox key:" in fixed.stdout and "ok    audit signing key:" in fixed.stdout
    assert "FAIL  database:" in fixed.stdout  # not migrated: said, not a traceback
    assert fixed.returncode == 1 and "Traceback" not in fixed.stderr
