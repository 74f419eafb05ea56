"""Scale-out, shown: two sites and two workers, each with a home of its own (as on two
machines), against one PostgreSQL database, under load over loopback.

    .venv/bin/python scripts/scale_out.py [--minutes 5] [--clients 8]

What it does, in production mode (DEBUG off, gunicorn, the worker, SMTP to a local sink):
  1. a fresh database; `keys init` on machine A, its keys copied to machine B (both
     sign the same log and open the same mailboxes); `migrate`, `collectstatic`;
     customers signed up through the sign-up service;
  2. starts gunicorn (2 workers) and `hippocratic worker` in each home;
  3. `--clients` threads for `--minutes`, each turn to one site or the other: a
     visitor's page (a page view), or a customer's data page (audited reads);
  4. stops the load, lets the workers finish, stops every process with SIGTERM;
  5. checks, and exits 1 if any fails: no request failed; every entry is in the one
     tree (none pending, head size = entries, `audit verify` clean); every data page
     read left its entries (none lost); every page view was recorded; every scheduled
     run was started once and ran on one worker; both workers sequenced.
"""

import argparse
import base64
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
import requests
from aiosmtpd.controller import Controller

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PUBLIC_PAGES = ("/", "/privacy/")
SEED = """
import json, sys
from hippocratic.accounts import services
from hippocratic.accounts.forms import SignUpForm
from django import forms
made = []
for n in range({count}):
    data = {{"username": f"load{{n}}", "password1": "Load-test-pw-91!",
            "password2": "Load-test-pw-91!", "account": "individual"}}
    form = SignUpForm()
    for name, field in form.fields.items():
        if name not in data:
            email = isinstance(field, forms.EmailField)
            data[name] = f"load{{n}}@example.org" if email else "Load Tester"
    form = SignUpForm(data)
    assert form.is_valid(), form.errors.as_json()
    made.append(services.sign_up(form)[1])
print(json.dumps(made))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """An SMTP server that keeps nothing: the sites' mail goes somewhere real."""

    received = 0

    async def handle_DATA(self, server, session, envelope):
        Sink.received += 1
        return "250 kept nowhere"


class Machine:
    def __init__(self, name: str, home: Path, env: dict, port: int):
        self.name, self.home, self.port = name, home, port
        self.env = {**env, "HIPPOCRATIC_HOME": str(home), "SITE_URL": f"http://127.0.0.1:{port}"}
        self.processes: list[subprocess.Popen] = []
        self.logs = home / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def run(self, *args: str) -> str:
        done = subprocess.run([str(BIN / "hippocratic"), *args], env=self.env, cwd=self.home,
                              capture_output=True, text=True, timeout=600)  # fmt: skip
        if done.returncode:
            raise SystemExit(f"{self.name}: hippocratic {' '.join(args)}: {done.stderr[-2000:]}")
        return done.stdout

    def start(self, label: str, *command: str) -> None:
        log = (self.logs / f"{label}.log").open("w")
        self.processes.append(subprocess.Popen(
            command, env=self.env, cwd=self.home, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        ))  # fmt: skip

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()

    def tracebacks(self) -> list[str]:
        return [f"{self.name}/{log.name}" for log in self.logs.glob("*.log")
                if "Traceback" in log.read_text(errors="replace")]  # fmt: skip


class Client:
    """A browser over loopback http that the sites take for https (the proxy in front
    would say X-Forwarded-Proto: https), so it keeps and sends their Secure cookies."""

    def __init__(self, port: int, address: str | None = None):
        self.base = f"http://127.0.0.1:{port}"
        self.referer = f"https://127.0.0.1:{port}/"
        self.cookies: dict[str, str] = {}
        self.http = requests.Session()
        # The client's address as our proxy would give it (HIPPOCRATIC_CLIENT_IP_HEADER).
        self.extra = {"X-Real-IP": address} if address else {}

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"X-Forwarded-Proto": "https", "Referer": self.referer,
                   "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
                   "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                   **self.extra}  # fmt: skip
        answer = self.http.request(method, self.base + path, headers=headers, timeout=30,
                                   allow_redirects=False, **kwargs)  # fmt: skip
        for line in answer.raw.headers.getlist("Set-Cookie"):
            name, _, rest = line.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        self.http.cookies.clear()  # this class keeps them
        return answer


def client(port: int) -> Client:
    return Client(port)


def log_in(session: Client, username: str) -> None:
    page = session.request("GET", "/account/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.request(
        "POST",
        "/account/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": "Load-test-pw-91!"},
    )
    if answer.status_code != 302:
        raise SystemExit(f"log-in as {username} answered {answer.status_code}")


latencies: dict[str, list[float]] = {"public": [], "data": []}


def load(machines, customers, until: float, tally: Counter, failures: list, lock) -> None:
    sessions = {}
    while time.monotonic() < until:
        machine = random.choice(machines)
        try:
            if random.random() < 0.5:
                page = random.choice(PUBLIC_PAGES)
                answer = Client(machine.port).request("GET", page)
                kind = "public"
            else:
                who = random.choice(customers)
                key = (machine.name, who)
                if key not in sessions:
                    sessions[key] = client(machine.port)
                    log_in(sessions[key], who)
                answer = sessions[key].request("GET", "/account/data/")
                kind = "data"
            with lock:
                tally[kind] += 1
                latencies[kind].append(answer.elapsed.total_seconds())
                if answer.status_code != 200:
                    failures.append(f"{machine.name} {answer.url}: {answer.status_code}")
        except (requests.RequestException, SystemExit) as error:
            with lock:
                failures.append(f"{machine.name}: {error}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the homes and the database")
    options = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="hippocratic-scale-"))
    database = f"hippocratic_scale_{os.getpid()}"
    admin = "postgres://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {database}")
    sink_port = free_port()
    sink = Controller(Sink(), hostname="127.0.0.1", port=sink_port)
    sink.start()
    env = {
        **os.environ, "HIPPOCRATIC_DEBUG": "0",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "SECRET_KEY": base64.urlsafe_b64encode(os.urandom(48)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "0",
        "HIPPOCRATIC_POLICY": str(REPO / "policies" / "ducallier.yaml"),
        "EMAIL_URL": f"smtp://127.0.0.1:{sink_port}",
        # The signed heads: one folder both machines write (a shared or replicated
        # disk, as the README asks of a site on several machines).
        "HIPPOCRATIC_AUDIT_CHECKPOINTS": str(base / "audit-checkpoints"),
    }  # fmt: skip
    env.pop("HIPPOCRATIC_MAILBOX_KEY", None)
    a = Machine("A", base / "a", env, free_port())
    b = Machine("B", base / "b", env, free_port())
    machines = [a, b]
    failures: list[str] = []
    try:
        print(f"homes under {base}; database {database}; sites on {a.port} and {b.port}")
        a.run("keys", "init")
        shutil.copytree(a.home / "var" / "keys", b.home / "var" / "keys")
        a.run("migrate", "--noinput", "-v0")
        for machine in machines:
            machine.run("collectstatic", "--noinput", "-v0")
        customers = [f"load{n}" for n in range(options.customers)]
        a.run("shell", "-c", SEED.format(count=options.customers))
        for machine in machines:
            bind = f"127.0.0.1:{machine.port}"
            machine.start("web", str(BIN / "gunicorn"), "hippocratic.wsgi", "-w", "2",
                          "-b", bind, "--graceful-timeout", "30")  # fmt: skip
            machine.start("worker", str(BIN / "hippocratic"), "worker")
        for machine in machines:
            for _ in range(120):
                try:
                    requests.get(f"http://127.0.0.1:{machine.port}/healthz", timeout=2)
                    break
                except requests.RequestException:
                    time.sleep(0.5)

        # One data page read, alone, to learn how many entries a read leaves.
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
            before = entries_by_customers(connection)
            probe = client(a.port)
            log_in(probe, customers[0])
            probe.request("GET", "/account/data/")
            per_read = entries_by_customers(connection) - before
        tally, lock = Counter(), threading.Lock()
        until = time.monotonic() + options.minutes * 60
        work = (machines, customers, until, tally, failures, lock)
        threads = [threading.Thread(target=load, args=work) for _ in range(options.clients)]
        began = time.monotonic()
        print(f"load: {options.clients} clients for {options.minutes} min; "
              f"a data page read leaves {per_read} entries")  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.monotonic() - began
        time.sleep(5)  # the workers' last sequencer passes and queued tasks
        for machine in machines:
            machine.stop()
        served = sum(tally.values())
        print(f"requests: {served} in {took:.0f} s ({served / took:.0f}/s): {dict(tally)}; "
              f"mail to the sink: {Sink.received}")  # fmt: skip
        for kind, times in latencies.items():
            if times:
                times.sort()
                print(
                    f"  {kind}: median {times[len(times) // 2] * 1000:.0f} ms, "
                    f"p95 {times[int(len(times) * 0.95)] * 1000:.0f} ms"
                )
        checks = verify(env, machines, tally, per_read, failures)
    finally:
        for machine in machines:
            machine.stop()
        sink.stop()
        if not options.keep:
            shutil.rmtree(base, ignore_errors=True)
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    for line in checks:
        print(line)
    return 0 if all(line.startswith("ok") for line in checks) else 1


def entries_by_customers(connection) -> int:
    return connection.execute(
        "SELECT count(*) FROM enforcement_auditentry WHERE actor LIKE 'customer:%%'"
    ).fetchone()[0]


def verify(env, machines, tally, per_read, failures) -> list[str]:
    a = machines[0]
    lines = []

    def check(ok: bool, text: str) -> None:
        lines.append(("ok    " if ok else "FAIL  ") + text)

    check(not failures, f"{len(failures)} failed requests {failures[:5]}")
    a.run("audit", "checkpoint")  # a signed head of the whole run, then the check
    verdict = a.run("audit", "verify").strip().splitlines()[-1]
    check("intact" in verdict, f"audit verify: {verdict}")
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
        total, pending = connection.execute(
            "SELECT count(*), count(*) FILTER (WHERE hash IS NULL) FROM enforcement_auditentry"
        ).fetchone()
        size = connection.execute("SELECT seq FROM enforcement_audithead").fetchone()[0]
        check(pending == 0 and size == total, f"one tree: {total} entries, {size} placed, "
              f"{pending} pending")  # fmt: skip
        reads = entries_by_customers(connection)
        expected = per_read * (tally["data"] + 1)
        check(reads >= expected, f"customers' data page reads: {reads} entries for "
              f"{tally['data'] + 1} reads of {per_read} each (at least {expected})")  # fmt: skip
        views = connection.execute("SELECT count(*) FROM tracking_pageview").fetchone()[0]
        check(views >= tally["public"], f"page views recorded: {views} for "
              f"{tally['public']} public pages served")  # fmt: skip
        runs = connection.execute(
            "SELECT r.job, r.slot, t.status, t.worker_ids FROM jobs_scheduledrun r "
            "LEFT JOIN django_tasks_database_dbtaskresult t ON t.id::text = r.task_result_id"
        ).fetchall()
        twice = [(job, ids) for job, _, _, ids in runs if ids and len(ids) > 1]
        check(runs and not twice, f"scheduled runs: {len(runs)} started, each once "
              f"(statuses {dict(Counter(status for _, _, status, _ in runs))}); "
              f"run on more than one worker: {twice}")  # fmt: skip
        workers = connection.execute("SELECT count(*) FROM jobs_workerheartbeat").fetchone()[0]
        check(workers >= 2, f"workers seen: {workers}")
    broken = [name for machine in machines for name in machine.tracebacks()]
    check(not broken, f"tracebacks in the logs: {broken}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
