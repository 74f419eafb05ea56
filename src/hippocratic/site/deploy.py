"""`hippocratic deploy check`: what a production site lacks or gets wrong, line by line.

Each check returns a Line: whether it holds, what it is about and what was found (and
what to do when it does not hold). The command prints them all and exits 0 only when
every one holds.
"""

import os
import socket
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core import checks as django_checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from hippocratic.capabilities import enforced
from hippocratic.communications import crypto
from hippocratic.jobs import heartbeat
from hippocratic.policy.errors import PolicyError, Severity
from hippocratic.policy.linter import lint
from hippocratic.policy.loader import load_policy
from hippocratic.site import health
from hippocratic.versions import publishing

MAIL_TIMEOUT = 3.0  # seconds for the mail server to answer a TCP connect
LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}


@dataclass
class Line:
    ok: bool
    about: str
    said: str

    def __str__(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.about}: {self.said}"


def secrets_() -> list[Line]:
    key = settings.SECRET_KEY
    dev = settings.VAR_DIR / "dev-secret-key" if hasattr(settings, "VAR_DIR") else None
    weak = (
        "not set" if not key
        else "the development key (var/dev-secret-key)" if dev and dev.exists()
        and dev.read_text().strip() == key
        else "Django's insecure default" if key.startswith("django-insecure")
        else "the test suite's" if key.startswith("tests-only")
        else f"too short ({len(key)} characters; 50 or more)" if len(key) < 50
        else "too few different characters" if len(set(key)) < 5
        else ""
    )  # fmt: skip
    hosts = settings.ALLOWED_HOSTS
    return [
        Line(not settings.DEBUG, "DEBUG", "on: unset HIPPOCRATIC_DEBUG" if settings.DEBUG
             else "off"),
        Line(not weak, "SECRET_KEY", weak or "set, long and not a known one"),
        Line(bool(hosts) and "*" not in hosts, "ALLOWED_HOSTS",
             ", ".join(hosts) if hosts and "*" not in hosts
             else "'*' lets any Host header in" if hosts else "empty"),
    ]  # fmt: skip


def https() -> list[Line]:
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    hsts = getattr(settings, "SECURE_HSTS_SECONDS", 0) or 0
    wanted = [
        ("SECURE_SSL_REDIRECT", bool(getattr(settings, "SECURE_SSL_REDIRECT", False)),
         "on" , "off: plain HTTP is served (SECURE_SSL_REDIRECT=0 in the environment?)"),
        ("SECURE_HSTS_SECONDS", hsts >= 31536000, f"{hsts}",
         f"{hsts}: browsers are not told to keep to HTTPS for a year"),
        ("SESSION_COOKIE_SECURE", bool(getattr(settings, "SESSION_COOKIE_SECURE", False)),
         "on", "off: the session cookie may travel in clear"),
        ("CSRF_COOKIE_SECURE", bool(getattr(settings, "CSRF_COOKIE_SECURE", False)),
         "on", "off: the CSRF cookie may travel in clear"),
        ("SECURE_PROXY_SSL_HEADER", proxy == ("HTTP_X_FORWARDED_PROTO", "https"),
         "X-Forwarded-Proto: https (the proxy must overwrite it)",
         f"{proxy!r}: behind a proxy, HTTPS is not recognised"),
    ]  # fmt: skip
    return [Line(ok, name, good if ok else bad) for name, ok, good, bad in wanted]


def _private_file(path: Path) -> str:
    """'' when the file is there, ours and readable by us alone; else what is wrong."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return f"{path} is missing: run `hippocratic keys init` (or `deploy check --fix`)"
    except OSError as error:
        return f"{path}: {error.strerror}"
    if st.st_uid != os.getuid():
        return f"{path} belongs to user {st.st_uid}, not to this user ({os.getuid()})"
    if stat.S_IMODE(st.st_mode) & 0o077:
        return f"{path} is mode {stat.S_IMODE(st.st_mode):o}: `chmod 600 {path}`"
    if not os.access(path, os.R_OK):
        return f"{path} is not readable by this user"
    folder = path.parent.stat()
    if stat.S_IMODE(folder.st_mode) & 0o022:
        return f"{path.parent} is writable by others: `chmod 700 {path.parent}`"
    return ""


def keys() -> list[Line]:
    audit = Path(settings.HIPPOCRATIC_AUDIT_KEY)
    wrong = _private_file(audit)
    if not wrong:
        try:
            loaded = serialization.load_pem_private_key(audit.read_bytes(), password=None)
            wrong = "" if isinstance(loaded, Ed25519PrivateKey) else f"{audit} is not Ed25519"
        except ValueError:
            wrong = f"{audit} is not a PEM private key"
    lines = [Line(not wrong, "audit signing key", wrong or f"{audit}, readable by this user only")]
    if os.environ.get("HIPPOCRATIC_MAILBOX_KEY"):
        wrong, where = "", "set in the environment"
    else:
        where = settings.HIPPOCRATIC_MAILBOX_KEY_FILE
        wrong = _private_file(Path(where))
        where += ", readable by this user only"
    if not wrong:
        try:
            ring = crypto.master_keys()
            where += f" ({len(ring)} key{'s' if len(ring) > 1 else ''} in the ring)"
        except ImproperlyConfigured as error:
            wrong = str(error)
    return [*lines, Line(not wrong, "mailbox key", wrong or where)]


def _database_device() -> tuple[int | None, str]:
    """The st_dev of the database's files where this machine can tell, and what it is."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        path = Path(db["NAME"])
        return (path.parent.stat().st_dev if path.parent.exists() else None), f"SQLite {path}"
    if db.get("HOST", "") not in LOCAL_HOSTS:
        return None, f"PostgreSQL on {db['HOST']}"
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            folder = Path(cursor.fetchone()[0])
        return folder.stat().st_dev, f"PostgreSQL's data directory {folder}"
    except (DatabaseError, OSError):  # not a superuser, or not this machine's files
        return None, "PostgreSQL (its data directory is not known to this user)"


def checkpoints() -> list[Line]:
    folder = Path(settings.HIPPOCRATIC_AUDIT_CHECKPOINTS)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return [Line(False, "checkpoints folder", f"{folder}: {error.strerror}")]
    if not os.access(folder, os.W_OK | os.X_OK):
        return [Line(False, "checkpoints folder", f"{folder} is not writable by this user")]
    device, database = _database_device()
    if device is not None and device == folder.stat().st_dev:
        return [
            Line(
                False,
                "checkpoints folder",
                f"{folder} is on the same disk as {database}: set "
                "HIPPOCRATIC_AUDIT_CHECKPOINTS to a folder on another disk or machine",
            )
        ]
    where = "another disk" if device is not None else f"a disk not compared ({database})"
    return [Line(True, "checkpoints folder", f"{folder}, writable, on {where}")]


def policy() -> list[Line]:
    path = settings.HIPPOCRATIC_POLICY
    try:
        issues = lint(load_policy(path), enforced(), strict=True)
    except PolicyError as error:
        issues = error.issues
    errors = [i for i in issues if i.severity is Severity.ERROR]
    lines = [Line(not errors, "policy (strict)",
                  f"{path}: {errors[0]} ({len(errors)} error(s): `hippocratic policy check "
                  "--strict`)" if errors else f"{path}: no error")]  # fmt: skip
    if not getattr(settings, "HIPPOCRATIC_POLICY_VERSIONS", True):
        return lines
    try:
        current, differs = publishing.in_force(), publishing.file_differs()
    except DatabaseError:
        return [*lines, Line(False, "policy published", "the database cannot say")]
    said = (
        f"nothing is published: `hippocratic policy publish {path}`" if current is None
        else f"{path} differs from the newest published version: publish it "
        "(`hippocratic policy publish`) or put the published file back" if differs
        else f"version {current.number} is in force"
    )  # fmt: skip
    return [*lines, Line(current is not None and not differs, "policy published", said)]


def mail() -> list[Line]:
    mailer = settings.MAILERS["default"]
    backend = mailer["BACKEND"]
    if not backend.endswith("smtp.EmailBackend"):
        return [
            Line(
                False,
                "mail transport",
                f"{backend} does not send mail out: set "
                "MAIL_BACKEND to Django's SMTP backend (the default without debug)",
            )
        ]
    options = mailer.get("OPTIONS", {})
    host = options.get("host") or getattr(settings, "EMAIL_HOST", "")
    port = int(options.get("port") or getattr(settings, "EMAIL_PORT", 25) or 25)
    if not host:
        return [Line(False, "mail transport", "no SMTP host: set EMAIL_HOST")]
    try:
        with socket.create_connection((host, port), timeout=MAIL_TIMEOUT):
            pass
    except OSError as error:
        return [
            Line(
                False,
                "mail transport",
                f"{host}:{port} does not answer "
                f"({error.strerror or type(error).__name__}, {MAIL_TIMEOUT:.0f} s)",
            )
        ]
    return [Line(True, "mail transport", f"SMTP {host}:{port} answers")]


def worker() -> list[Line]:
    try:
        age = heartbeat.age_seconds()
    except DatabaseError:
        return [Line(False, "worker", "the database cannot say (migrated?)")]
    if age is None:
        return [Line(False, "worker", "no worker has ever run: start `hippocratic worker`")]
    if age > heartbeat.STALE_SECONDS:
        return [Line(False, "worker", f"last seen {age:.0f} s ago: is the worker running?")]
    return [Line(True, "worker", f"seen {age:.0f} s ago")]


def migrations() -> list[Line]:
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        return [Line(False, "database", f"does not answer: {error}".splitlines()[0])]
    if plan:
        return [Line(False, "database", f"{len(plan)} migration(s) not applied: "
                     "`hippocratic migrate`")]  # fmt: skip
    return [Line(True, "database", f"{connection.vendor}, every migration applied")]


def audit_log() -> list[Line]:
    try:
        now = health.check()
    except DatabaseError:
        return []
    late = now.audit_oldest_pending_seconds
    if late is not None and late > health.SEQUENCER_LATE_SECONDS:
        return [Line(False, "audit sequencer", f"an entry has waited {late:.0f} s for its place")]
    return [Line(True, "audit sequencer", f"{now.audit_pending or 0} entries waiting")]


def static() -> list[Line]:
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return [Line(False, "static files", f"{manifest} is missing: "
                     "`hippocratic collectstatic --noinput`")]  # fmt: skip
    return [Line(True, "static files", f"collected in {settings.STATIC_ROOT}, hashed names")]


def system_checks() -> list[Line]:
    """Django's and the project's own checks (production's start-up refuses on these)."""
    try:
        found = django_checks.run_checks(include_deployment_checks=True)
    except DatabaseError as error:
        return [Line(False, "system checks", str(error).splitlines()[0])]
    errors = [m for m in found if m.level >= django_checks.ERROR and not m.is_silenced()]
    if errors:
        first = errors[0]
        return [Line(False, "system checks", f"{first.id}: {first.msg}"
                     + (f" ({len(errors)} errors: `hippocratic check --deploy`)"
                        if len(errors) > 1 else ""))]  # fmt: skip
    return [Line(True, "system checks", "no error")]


CHECKS: list[Callable[[], list[Line]]] = [
    secrets_,
    https,
    keys,
    checkpoints,
    migrations,
    system_checks,
    policy,
    static,
    mail,
    worker,
    audit_log,
]


def run() -> list[Line]:
    return [line for check in CHECKS for line in check()]
