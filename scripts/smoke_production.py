"""The production smoke test (issue 29): the README's "Running it in production" steps,
run as written, from a fresh clone and a fresh virtualenv, against PostgreSQL on
127.0.0.1:5432, with gunicorn, the worker and the LMTP server as processes of their own.

    .venv/bin/python scripts/smoke_production.py [--venv PATH]

What it changes in the steps, and only this (each must be found, so a README that
drifts fails here): the database's name (one of its own, dropped at the end), the ports
(free ones, so it runs beside anything), the mail server's port (a local SMTP sink) and
the checkpoints folder (on /dev/shm, a disk other than the database's). `--venv` uses an
installed virtualenv and skips the `pip install` line (for a quick run by hand).

Then: /healthz answers 200; `hippocratic deploy check` (the steps' last line) exits 0;
the home page and the privacy page come styled (the stylesheet by its hashed name, with
a long cache header) through the headers a proxy sets; the LMTP server answers; with
Debian's chromium and nginx (scripts/smoke_journey.py), the browser journey through
nginx as deploy/nginx.conf sets it up: sign-up, a card, the mailing list joined by the
mailed link, a mail to support in by LMTP in the staff queue, a newsletter out to the
local SMTP server; a signed head is written and `hippocratic audit verify` exits 0; 100
pages served just before SIGTERM are all recorded; SIGTERM stops every process within
30 s, with no traceback in any log. Exit 0 when all of that holds. The tasks run on RQ
(Redis database 13, emptied before and after) where Redis answers on 127.0.0.1:6379.
"""

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg
import redis
from aiosmtpd.controller import Controller
from smoke_journey import Outbox, journey, nginx_available, start_nginx

from hippocratic.policy.loader import load_policy

REPO = Path(__file__).resolve().parent.parent
HOST = "www.example.com"  # ALLOWED_HOSTS in the README's steps
PROXY = {"Host": HOST, "X-Forwarded-Proto": "https"}  # what deploy/nginx.conf sets
REDIS_DB = 13  # a Redis database of the smoke test's own, emptied before and after
BROWSER = {**PROXY, "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
           "(KHTML, like Gecko) Chrome/156.0 Safari/537.36"}  # fmt: skip


def say(text: str) -> None:
    print(f"smoke: {text}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def readme_steps() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Running it in production") :]
    return re.search(r"```sh\n(.*?)```", section, re.S)[1]


def substituted(steps: str, changes: dict[str, str]) -> str:
    for old, new in changes.items():
        if old not in steps:
            raise SystemExit(f"smoke: the README's steps no longer hold {old!r}")
        steps = steps.replace(old, new)
    return steps


def get(port: int, path: str, headers=PROXY) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as got:  # noqa: S310 (http://127.0.0.1)
            return got.status, dict(got.headers), got.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_for(what: str, check, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"smoke: {what} did not happen within {seconds:.0f} s")


def lmtp_answers(port: int, domain: str | None) -> str:
    """Where the policy keeps mailboxes, a stranger's address in its domain is refused
    (550: the intake looked it up in the database); else the server answers."""
    with smtplib.LMTP("127.0.0.1", port, timeout=30) as intake:
        if not domain:
            if intake.noop()[0] != 250:
                raise SystemExit("smoke: the LMTP server does not answer")
            return "the LMTP server answers (this policy keeps no mailboxes)"
        stranger = f"nobody-{os.getpid()}@{domain}"
        letter = f"From: a@b.example\r\nTo: {stranger}\r\nSubject: hi\r\n\r\nhello\r\n"
        try:
            intake.sendmail("a@b.example", [stranger], letter)
            refused = None
        except smtplib.SMTPRecipientsRefused as error:
            refused = error.recipients[stranger][0]
        except smtplib.SMTPDataError as error:  # LMTP answers each recipient after DATA
            refused = error.smtp_code
    if refused != 550:
        raise SystemExit(f"smoke: LMTP took mail for {stranger} (answer {refused})")
    return "a mail in by LMTP: the intake looked the mailbox up and refused a stranger (550)"


def run_steps(work: Path, site: Path, env: dict, steps: list[str]) -> tuple[dict, list[int]]:
    """Run the steps in one bash (set -e), each `… &` with its output to a log; return
    the environment they leave and the background processes' ids."""
    pids, script = work / "pids", ["set -euo pipefail"]
    for n, line in enumerate(steps):
        line = re.sub(r"\s+#.*$", "", line).rstrip()
        if line.endswith("&"):
            script.append(f'{line[:-1].rstrip()} > "{work}/process-{n}.log" 2>&1 &')
            script.append(f'echo $! >> "{pids}"')
        elif line:
            script.append(line)
    script.append(f'env -0 > "{work}/env"')
    bash = shutil.which("bash") or "/bin/bash"
    done = subprocess.run([bash, "-c", "\n".join(script)], cwd=site, env=env, check=False)
    ids = [int(p) for p in pids.read_text().split()] if pids.exists() else []
    if done.returncode != 0:
        stop(ids)
        raise SystemExit(f"smoke: a step failed (exit {done.returncode})")
    left = dict(
        item.split("=", 1) for item in (work / "env").read_text().split("\0") if "=" in item
    )
    return left, ids


def page_views(url: str) -> int:
    with psycopg.connect(url) as connection:
        return connection.execute("SELECT count(*) FROM tracking_pageview").fetchone()[0]


def browser_journey(site: Path, work: Path, env: dict, hippocratic: str, chromium: str,
                    web: int, lmtp: int, outbox: Outbox) -> int:  # fmt: skip
    """nginx in front (deploy/nginx.conf), a staff account, then the journey in
    Chromium; nginx's process id, to be stopped with the rest."""
    password = secrets.token_urlsafe(16)
    subprocess.run([hippocratic, "createsuperuser", "--noinput", "--username", "smoke-staff",
                    "--email", "staff@example.org"], cwd=site, check=True,
                   env={**env, "DJANGO_SUPERUSER_PASSWORD": password})  # fmt: skip
    tls = free_port()
    nginx = start_nginx(REPO, work, tls, web)
    wait_for("nginx", lambda: socket.create_connection(("127.0.0.1", tls), timeout=1).close() or 1)
    policy = load_policy(site / env["HIPPOCRATIC_POLICY"]).policy
    support = policy.provider.contacts.support.email

    def mail_in(subject: str) -> None:
        letter = (f"From: Grace <grace.smoke@example.org>\r\nTo: {support}\r\n"
                  f"Subject: {subject}\r\nMessage-ID: <{time.time_ns()}@example.org>\r\n\r\n"
                  "Please correct my address.\r\n")  # fmt: skip
        with smtplib.LMTP("127.0.0.1", lmtp, timeout=30) as intake:
            intake.sendmail("grace.smoke@example.org", [support], letter)

    journey(chromium, tls, outbox, password, mail_in, say)
    return nginx.pid


def stop(pids: list[int], seconds: float = 30) -> list[int]:
    """SIGTERM each process; those still running after `seconds` (then killed)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline, stuck = time.monotonic() + seconds, []
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # not ours to wait for: look whether it runs
                done = 0 if _alive(pid) else pid
            if done or not _alive(pid):
                break
            time.sleep(0.2)
        else:
            stuck.append(pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    return stuck


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", help="an installed virtualenv (skips `pip install`)")
    options = parser.parse_args()
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError:
        say("PostgreSQL does not answer on 127.0.0.1:5432: nothing to smoke-test")
        return 0
    work = Path(tempfile.mkdtemp(prefix="hippocratic-smoke-"))
    other_disk = Path(tempfile.mkdtemp(prefix="hippocratic-smoke-", dir="/dev/shm"))
    db = f"hippocratic_smoke_{os.getpid()}"
    outbox = Outbox()
    sink = Controller(outbox, hostname="127.0.0.1", port=free_port())
    queue = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_timeout=2)
    try:
        queue.flushdb()
    except redis.RedisError:
        queue = None
        say("Redis does not answer on 127.0.0.1:6379: the tasks queue in the database")
    sink.start()
    pids: list[int] = []
    try:
        site = work / "site"
        git = shutil.which("git") or "git"
        subprocess.run([git, "clone", "-q", str(REPO), str(site)], check=True)
        venv = Path(options.venv).resolve() if options.venv else work / "venv"
        if not options.venv:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        web, lmtp = free_port(), free_port()
        steps = substituted(readme_steps(), {
            "5432/hippocratic": f"5432/{db}",
            "-U postgres hippocratic": f"-U postgres {db}",
            "127.0.0.1:8000": f"127.0.0.1:{web}",
            "127.0.0.1:8024": f"127.0.0.1:{lmtp}",
            "EMAIL_PORT=25": f"EMAIL_PORT={sink.port}",
            **({"6379/0": f"6379/{REDIS_DB}"} if queue else {"export REDIS_URL=": "true # "}),
            "/mnt/backup/hippocratic-checkpoints": str(other_disk / "checkpoints"),
            **({"pip install -c constraints.txt .": "true"} if options.venv else {}),
        }).splitlines()  # fmt: skip
        *setup, last = steps
        if not last.startswith("hippocratic deploy check"):
            raise SystemExit("smoke: the README's steps no longer end with `deploy check`")
        drop = ("HIPPOCRATIC_", "DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE",
                "SITE_URL", "ALLOWED_HOSTS", "EMAIL_", "VIRTUAL_ENV")  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
        env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
        say(f"the README's steps in {site} (database {db}, web {web}, LMTP {lmtp})")
        env, pids = run_steps(work, site, env, setup)
        wait_for("/healthz 200", lambda: get(web, "/healthz", {"Host": HOST})[0] == 200)
        say("/healthz answers 200")
        check = subprocess.run(last.split("#")[0].split(), cwd=site, env=env,
                               capture_output=True, text=True, timeout=120)  # fmt: skip
        print(check.stdout, end="")
        if check.returncode != 0:
            raise SystemExit(f"smoke: deploy check exited {check.returncode}: {check.stderr}")
        status, _, page = get(web, "/")
        css = re.search(rb'href="(/static/site/site\.[0-9a-f]{12}\.css)"', page)
        if status != 200 or not css:
            raise SystemExit(f"smoke: the home page is {status}, styled: {bool(css)}")
        status, headers, body = get(web, css[1].decode())
        if status != 200 or "immutable" not in headers.get("Cache-Control", "") or not body:
            raise SystemExit(f"smoke: the stylesheet answered {status} {headers}")
        if get(web, "/privacy/")[0] != 200:
            raise SystemExit("smoke: /privacy/ is not 200")
        say("the pages come styled, the stylesheet by its hashed name, cached for a year")
        domain = load_policy(site / env["HIPPOCRATIC_POLICY"]).policy.communications.mailbox_domain
        say(lmtp_answers(lmtp, domain))
        hippocratic = str(venv / "bin" / "hippocratic")
        chromium = shutil.which("chromium")
        if chromium and nginx_available():
            pids.append(browser_journey(site, work, env, hippocratic, chromium, web, lmtp, outbox))
        else:
            say("SKIPPED the browser journey: it needs Debian's chromium and nginx "
                "(.ci/run installs both where it may)")  # fmt: skip
        for argv in (["audit", "checkpoint"], ["audit", "verify"]):
            done = subprocess.run([hippocratic, *argv], cwd=site, env=env, capture_output=True,
                                  text=True, timeout=120)  # fmt: skip
            if done.returncode != 0:
                raise SystemExit(f"smoke: {' '.join(argv)} exited {done.returncode}: {done.stderr}")
        say("a signed head is kept and `hippocratic audit verify` exits 0")
        before = page_views(env["DATABASE_URL"])
        served = sum(get(web, "/", BROWSER)[0] == 200 for _ in range(100))
        stuck, pids = stop(pids), []
        recorded = page_views(env["DATABASE_URL"]) - before
        if served != 100 or recorded < served:
            raise SystemExit(f"smoke: {served} of 100 pages served just before SIGTERM, "
                             f"{recorded} page views recorded")  # fmt: skip
        say(f"{served} pages served just before SIGTERM: all {recorded} recorded")
        logs = {p.name: p.read_text() for p in work.glob("process-*.log")}
        broken = [name for name, text in logs.items() if "Traceback" in text]
        if stuck or broken:
            for name in broken:
                print(f"--- {name}\n{logs[name]}")
            raise SystemExit(f"smoke: not stopped by SIGTERM: {stuck}; tracebacks in {broken}")
        say("SIGTERM stopped gunicorn, the worker and the LMTP server; no traceback logged")
        return 0
    finally:
        stop(pids, seconds=5)
        sink.stop()
        if queue:
            queue.flushdb()
        dropdb = shutil.which("dropdb") or "dropdb"
        subprocess.run([dropdb, "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db],
                       check=False)  # fmt: skip
        shutil.rmtree(other_disk, ignore_errors=True)
        if os.environ.get("SMOKE_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
