"""Mail under fire: a newsletter to a few thousand list members while the site is under
load over loopback, its worker killed (-9) and restarted twice mid-newsletter.

    .venv/bin/python scripts/mail_under_fire.py [--minutes 10] [--members 3000]

What it does, in production mode (DEBUG off, gunicorn, the worker as its own process,
SMTP to a local sink on loopback, PostgreSQL, the cache on Redis):
  1. a fresh database; `keys init`, `migrate`, `collectstatic`; customers who log in
     (signed up through the sign-up service) and `--members` customers on the mailing
     list (written as rows, as a list imported);
  2. starts gunicorn (2 workers) and `hippocratic worker`;
  3. `--clients` threads for `--minutes`, each a client address of its own (the proxy's
     X-Real-IP): a visitor's page (a page view), or a customer's data page;
  4. a sixth of the way in, a newsletter to the list is queued (as staff's "send");
     when the sink has a quarter of it the worker is killed with SIGKILL and started
     again, and again at three fifths; the new worker reclaims the dead one's task once
     HIPPOCRATIC_WORKER_TIMEOUT_SECONDS have passed (`--worker-timeout`; 60 in
     production) and resumes, settling what the dead one left from its journal;
  5. after the load, waits for the newsletter to finish, then stops every process
     with SIGTERM (the web workers write the page views they buffer);
  6. checks, and exits 1 if any fails: no request failed; every page view served was
     recorded; the worker was killed twice while the newsletter was going out, leaving
     no process behind; every list member got the newsletter exactly once (the sink
     counts each one's copies), or none or one where the campaign's report counts them
     "unknown" (handed over as a worker died, never sent twice); nothing is left queued
     or sending; `audit verify` is clean; no traceback in the logs.

Ports: the site on `--port`, the sink on the next one.
"""

import argparse
import base64
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
import redis
import requests
from aiosmtpd.controller import Controller
from scale_out import BIN, PUBLIC_PAGES, REPO, SEED, Client, Machine, log_in

SUBJECT = "Under fire"
MEMBERS = """
import datetime as dt
from hippocratic.accounts.models import Customer
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.decided import decided_elsewhere
from hippocratic.messaging.models import ListMembership
system = Actor.system("mail_under_fire")
now = dt.datetime.now(dt.UTC)
blank = ["phone", "address", "company", "domain_name", "title", "department", "fax"]
Customer.objects.for_purpose(system, "essential.service").insert_rows(
    ["name", "email", "status", "membership", "created_at", *blank],
    [(f"Member {{i}}", f"member{{i}}@list.example", "active", "individual", now,
      *[""] * len(blank)) for i in range({count})],
)
with decided_elsewhere():
    ids = list(Customer.internal.filter(email__endswith="@list.example")
               .values_list("pk", flat=True))
ListMembership.objects.for_purpose(system, "essential.service").insert_rows(
    ["customer_id", "source", "consent_text", "policy_version", "created_at"],
    [(pk, "import", "yes", "0" * 64, now) for pk in ids],
)
print(len(ids))
"""
NEWSLETTER = f"""
from hippocratic.messaging.models import Campaign
from hippocratic.messaging.tasks import send_campaign
campaign = Campaign.objects.create(kind="newsletter", subject="{SUBJECT}",
                                   body="Hello from {{{{ provider }}}}.")
send_campaign.enqueue(campaign.pk)
print(campaign.pk)
"""


class Sink:
    """An SMTP server that counts each recipient's copies of the newsletter."""

    def __init__(self):
        self.copies: Counter = Counter()
        self.other = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        with self.lock:
            if re.search(rb"(?mi)^Subject: " + SUBJECT.encode(), head):
                for to in envelope.rcpt_tos:
                    self.copies[to.lower()] += 1
            else:
                self.other += 1
        return "250 2.0.0 kept"

    def newsletter(self) -> int:
        with self.lock:
            return sum(self.copies.values())


latencies: dict[str, list[float]] = {"public": [], "data": []}


def load(port, customers, until, tally, failures, lock, address) -> None:
    sessions = {}
    while time.monotonic() < until:
        try:
            if random.random() < 0.5:
                answer = Client(port, address).request("GET", random.choice(PUBLIC_PAGES))
                kind = "public"
            else:
                who = random.choice(customers)
                if who not in sessions:
                    sessions[who] = Client(port, address)
                    log_in(sessions[who], who)
                answer = sessions[who].request("GET", "/account/data/")
                kind = "data"
            with lock:
                tally[kind] += 1
                latencies[kind].append(answer.elapsed.total_seconds())
                if answer.status_code != 200:
                    failures.append(f"{answer.url}: {answer.status_code}")
        except (requests.RequestException, SystemExit) as error:
            with lock:
                failures.append(str(error))


class Worker:
    """`hippocratic worker`, started, killed with SIGKILL and started again."""

    def __init__(self, machine: Machine):
        self.machine = machine
        self.process: subprocess.Popen | None = None
        self.runs = 0
        self.kills: list[dict] = []

    def start(self) -> None:
        self.runs += 1
        self.machine.start(f"worker-{self.runs}", str(BIN / "hippocratic"), "worker")
        self.process = self.machine.processes[-1]

    def kill(self, sink: Sink, members: int) -> None:
        pid = self.process.pid
        had = sink.newsletter()
        os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        time.sleep(0.5)
        try:
            os.killpg(pid, 0)  # its own session: anything of it still running?
            left = True
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            left = False
        self.kills.append({"at": time.monotonic(), "mailed": had, "of": members,
                           "left_behind": left})  # fmt: skip
        print(f"  killed worker {pid} (-9) with {had} of {members} mailed; restarting")
        self.start()


def fire(worker: Worker, sink: Sink, members: int, queued: threading.Event, stop) -> None:
    """Kill the worker at a quarter and at three fifths of the newsletter."""
    queued.wait()
    for share in (0.25, 0.6):
        before = sink.newsletter()
        while not stop.is_set():
            mailed = sink.newsletter()
            if mailed >= members * share and mailed > before:
                break
            time.sleep(0.05)
        if stop.is_set():
            return
        worker.kill(sink, members)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--customers", type=int, default=10)
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument(
        "--worker-timeout",
        type=float,
        default=60.0,
        help="HIPPOCRATIC_WORKER_TIMEOUT_SECONDS (60 in production)",
    )
    parser.add_argument("--port", type=int, default=8340, help="the site; the sink: +1")
    parser.add_argument(
        "--redis",
        default="redis://127.0.0.1:6379/4",
        help="the cache (emptied first); '' for each process's own memory",
    )
    parser.add_argument("--keep", action="store_true", help="keep the home and the database")
    options = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="hippocratic-fire-"))
    database = f"mail_fire_{os.getpid()}"
    admin = "postgres://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {database}")
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=options.port + 1)
    smtp.start()
    env = {
        **os.environ, "HIPPOCRATIC_DEBUG": "0",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "SECRET_KEY": base64.urlsafe_b64encode(os.urandom(48)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "0",
        "HIPPOCRATIC_POLICY": str(REPO / "policies" / "ducallier.yaml"),
        "EMAIL_URL": f"smtp://127.0.0.1:{options.port + 1}",
        "HIPPOCRATIC_CLIENT_IP_HEADER": "X-Real-IP",
        "HIPPOCRATIC_WORKER_TIMEOUT_SECONDS": str(options.worker_timeout),
        # A beat every twelfth of the timeout, as in production (5 s of 60): a worker's
        # lease (half the timeout) outlives a late beat on a loaded machine.
        "HIPPOCRATIC_WORKER_BEAT_SECONDS": str(max(0.5, options.worker_timeout / 12)),
    }  # fmt: skip
    for name in ("HIPPOCRATIC_MAILBOX_KEY", "REDIS_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    if options.redis:
        env["REDIS_URL"] = options.redis
        redis.Redis.from_url(options.redis).flushdb()
    site = Machine("site", base / "home", env, options.port)
    worker = Worker(site)
    failures: list[str] = []
    stop = threading.Event()
    checks = []
    try:
        print(f"home {site.home}; database {database}; site on {options.port}")
        site.run("keys", "init")
        site.run("migrate", "--noinput", "-v0")
        site.run("collectstatic", "--noinput", "-v0")
        customers = [f"load{n}" for n in range(options.customers)]
        site.run("shell", "-c", SEED.format(count=options.customers))
        members = int(site.run("shell", "-c", MEMBERS.format(count=options.members)).split()[-1])
        site.start("web", str(BIN / "gunicorn"), "hippocratic.wsgi", "-w", "2",
                   "-b", f"127.0.0.1:{options.port}", "--graceful-timeout", "30")  # fmt: skip
        worker.start()
        for _ in range(120):
            try:
                requests.get(f"http://127.0.0.1:{options.port}/healthz", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.5)

        tally, lock, queued = Counter(), threading.Lock(), threading.Event()
        until = time.monotonic() + options.minutes * 60
        threads = [
            threading.Thread(target=load, args=(options.port, customers, until, tally,
                                                failures, lock, f"198.51.100.{n + 1}"))
            for n in range(options.clients)
        ]  # fmt: skip
        killer = threading.Thread(target=fire, args=(worker, sink, members, queued, stop))
        began = time.monotonic()
        print(f"load: {options.clients} clients for {options.minutes} min; "
              f"a newsletter to {members} list members")  # fmt: skip
        for thread in [*threads, killer]:
            thread.start()
        time.sleep(max(5.0, options.minutes * 60 / 6))
        campaign = int(site.run("shell", "-c", NEWSLETTER).split()[-1])
        newsletter_began = time.monotonic()
        queued.set()
        print(f"  newsletter queued at {newsletter_began - began:.0f} s")
        for thread in threads:
            thread.join()
        took = time.monotonic() - began
        # The newsletter's end: nothing queued or sending, no sending task waiting.
        finished = wait_for(env["DATABASE_URL"], campaign,
                            options.worker_timeout * 6 + members / 10)  # fmt: skip
        newsletter_took = (finished or time.monotonic()) - newsletter_began
        stop.set()
        killer.join()
        time.sleep(3)  # the worker's last sequencer pass
        site.stop()
        served = sum(tally.values())
        print(f"requests: {served} in {took:.0f} s ({served / took:.1f}/s): {dict(tally)}")
        for kind, times in latencies.items():
            if times:
                times.sort()
                print(f"  {kind}: median {times[len(times) // 2] * 1000:.0f} ms, "
                      f"p95 {times[int(len(times) * 0.95)] * 1000:.0f} ms")  # fmt: skip
        print(f"newsletter: {'finished' if finished else 'NOT finished'} "
              f"{newsletter_took:.0f} s after it was queued; the sink got "
              f"{sink.newsletter()} copies for {len(sink.copies)} members, "
              f"{sink.other} other mails")  # fmt: skip
        checks = verify(env, site, worker, sink, campaign, members, tally, failures)
    finally:
        stop.set()
        site.stop()
        smtp.stop()
        if not options.keep:
            shutil.rmtree(base, ignore_errors=True)
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    for line in checks:
        print(line)
    return 0 if checks and all(line.startswith("ok") for line in checks) else 1


def wait_for(url: str, campaign: int, seconds: float) -> float | None:
    """When the campaign had nothing left to send (time.monotonic()), or None."""
    deadline = time.monotonic() + seconds
    with psycopg.connect(url, autocommit=True) as connection:
        while time.monotonic() < deadline:
            left = connection.execute(
                "SELECT count(*) FROM messaging_delivery WHERE campaign_id = %s "
                "AND status IN ('queued', 'sending')", [campaign],
            ).fetchone()[0]  # fmt: skip
            tasks = connection.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE task_path = "
                "'hippocratic.messaging.tasks.send_campaign' AND status IN ('READY', 'RUNNING')"
            ).fetchone()[0]
            if not left and not tasks:
                return time.monotonic()
            time.sleep(1)
    return None


def verify(env, site, worker, sink, campaign, members, tally, failures) -> list[str]:
    lines = []

    def check(ok: bool, text: str) -> None:
        lines.append(("ok    " if ok else "FAIL  ") + text)

    check(not failures, f"{len(failures)} failed requests {failures[:5]}")
    mid = [k for k in worker.kills if 0 < k["mailed"] < members]
    check(len(mid) == 2, f"worker killed -9 twice mid-newsletter: at "
          f"{[k['mailed'] for k in worker.kills]} of {members} mailed")  # fmt: skip
    check(not any(k["left_behind"] for k in worker.kills),
          "a killed worker left no process behind")  # fmt: skip
    site.run("audit", "checkpoint")  # a signed head of the whole run, then the check
    verdict = site.run("audit", "verify").strip().splitlines()[-1]
    check("intact" in verdict, f"audit verify: {verdict}")
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
        views = connection.execute(
            "SELECT count(*) FROM tracking_pageview WHERE path = ANY(%s)", [list(PUBLIC_PAGES)]
        ).fetchone()[0]
        check(views == tally["public"], f"page views: {views} recorded for the "
              f"{tally['public']} public pages served (0 lost)")  # fmt: skip
        rows = connection.execute(
            "SELECT lower(c.email), d.status FROM messaging_delivery d "
            "JOIN accounts_customer c ON c.id = d.customer_id WHERE d.campaign_id = %s",
            [campaign],
        ).fetchall()  # fmt: skip
        reclaimed = connection.execute(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE task_path = "
            "'hippocratic.messaging.tasks.send_campaign' AND exception_class_path = "
            "'hippocratic.jobs.workers.WorkerLost'"
        ).fetchone()[0]
    report = Counter(status for _, status in rows)
    listed = {email for email, _ in rows if email.endswith("@list.example")}
    twice = [e for e, n in sink.copies.items() if n > 1]
    lost = [e for e, s in rows if s != "unknown" and sink.copies[e] != 1]
    strangers = [e for e in sink.copies if e not in {r[0] for r in rows}]
    check(len(listed) == members, f"deliveries written: {len(listed)} for {members} members")
    check(not twice, f"mailed more than once: {len(twice)} {twice[:3]}")
    check(not lost, f"neither mailed once nor reported unknown: {len(lost)} {lost[:3]}")
    check(not strangers, f"mailed but no delivery of theirs: {strangers[:3]}")
    check(report["queued"] == 0 and report["sending"] == 0 and report["failed"] == 0,
          f"the campaign's report: {dict(report)}; unknown and got it: "
          f"{sum(1 for e, s in rows if s == 'unknown' and sink.copies[e])}; "
          f"tasks reclaimed from dead workers: {reclaimed}")  # fmt: skip
    broken = site.tracebacks()
    check(not broken, f"tracebacks in the logs: {broken}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
