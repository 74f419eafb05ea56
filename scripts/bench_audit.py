"""The audit log at scale (part of `make bench`, run inside bench.py's database child):

  - N processes (1, 4, 16) each append 1,000 audited entries, one transaction each,
    while a sequencer process places them in the tree as a worker would; against the
    same N processes INSERTing the same rows into a plain table of the same shape.
    Targets (PostgreSQL): 16 writers >= 0.8x, one writer >= 0.6x; merge delay p99 <= 1 s.
  - `audit verify` of 1,000,000 entries (written pending, placed by the sequencer):
    target < 60 s; an inclusion proof against a signed head: target < 10 ms.

Processes are forked from the child after its test database exists, so each opens
its own connection to it; SQLite (one writer at a time by design) runs the one-writer
row only.
"""

import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

EACH = 1000
MILLION = int(os.environ.get("HIPPOCRATIC_BENCH_AUDIT_ENTRIES", "1000000"))


def _row(n: int, i: int) -> dict:
    return {"actor": f"task:bench:{n}", "subject_ref": str(i)}


def _append_many(n: int, start, done) -> None:
    from django.db import connections

    from hippocratic.enforcement import audit
    from hippocratic.enforcement.actors import Actor
    from hippocratic.policy.reasons import Reason

    connections.close_all()
    actor = Actor.system(f"bench:{n}")
    start.wait()
    for i in range(EACH):
        audit.append(
            actor=actor, action=audit.Action.READ, purpose="essential.service",
            reason=Reason.ALLOWED, subject="customer", subject_ref=str(i),
            categories=["user.name"], allowed=True,
        )  # fmt: skip
    done.put(time.perf_counter())
    connections.close_all()


def _insert_plain(n: int, start, done) -> None:
    """The same row, the same columns, into a table nobody else uses: no gate, no guard."""
    from django.db import connections
    from django.utils import timezone

    from hippocratic.provider import policy_version

    connections.close_all()
    connection = connections["stock"]
    start.wait()
    version = policy_version()
    with connection.cursor() as cursor:
        for i in range(EACH):
            cursor.execute(
                "INSERT INTO bench_plain_audit (at, actor, role, purpose, action, subject, "
                "subject_ref, categories, allowed, reason, rule, promise, rows, "
                "policy_version, prev_hash, chain_hash) VALUES "
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [timezone.now(), f"task:bench:{n}", "system", "essential.service", "read",
                 "customer", str(i), '["user.name"]', True, "allowed", "", "", 0, version,
                 "", ""],
            )  # fmt: skip
    done.put(time.perf_counter())
    connections.close_all()


def _sequence_until(stop, delays) -> None:
    """The worker's own sequencer loop (its interval, its quick passes and sweeps)."""
    from django.conf import settings
    from django.db import connections

    from hippocratic.enforcement import sequencer

    connections.close_all()
    found = []
    sequencer.run_forever(
        settings.HIPPOCRATIC_AUDIT_SEQUENCE_SECONDS, stop=stop,
        report=lambda done: found.extend(done.delays),
    )  # fmt: skip
    found += sequencer.sequence().delays
    delays.put(found)
    connections.close_all()


def _run(target, writers: int) -> float:
    """Rows per second: `writers` processes released together, until the last is done."""
    context = multiprocessing.get_context("fork")
    start, done = context.Barrier(writers + 1), context.Queue()
    processes = [context.Process(target=target, args=(n, start, done)) for n in range(writers)]
    for p in processes:
        p.start()
    start.wait()
    began = time.perf_counter()
    ends = [done.get() for _ in processes]
    for p in processes:
        p.join()
    return writers * EACH / (max(ends) - began)


def _plain_table(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plain_audit")
        if connection.vendor == "postgresql":
            cursor.execute("CREATE TABLE bench_plain_audit "
                           "(LIKE enforcement_auditentry INCLUDING DEFAULTS)")  # fmt: skip
            cursor.execute("ALTER TABLE bench_plain_audit ADD PRIMARY KEY (id)")
            cursor.execute("CREATE SEQUENCE bench_plain_audit_id OWNED BY bench_plain_audit.id")
            cursor.execute("ALTER TABLE bench_plain_audit ALTER COLUMN id "
                           "SET DEFAULT nextval('bench_plain_audit_id')")  # fmt: skip
        else:
            cursor.execute(
                "CREATE TABLE bench_plain_audit (id integer PRIMARY KEY AUTOINCREMENT, "
                "at text, actor text, role text, purpose text, action text, subject text, "
                "subject_ref text, categories text, allowed bool, reason text, rule text, "
                "promise text, rows integer, policy_version text, prev_hash text, "
                "chain_hash text, seq integer, hash text)"
            )


def writers_against_plain(vendor: str) -> list[dict]:
    from django.db import connections

    from hippocratic.enforcement import sequencer

    results = []
    _plain_table(connections["stock"])
    counts = (1, 4, 16) if vendor == "postgresql" else (1,)
    context = multiprocessing.get_context("fork")
    for writers in counts:
        connections.close_all()
        plain = _run(_insert_plain, writers)
        stop, delays = context.Event(), context.Queue()
        placing = context.Process(target=_sequence_until, args=(stop, delays))
        placing.start()
        ours = _run(_append_many, writers)
        stop.set()
        waited = delays.get()
        placing.join()
        ratio = ours / plain
        # The targets are PostgreSQL's (SQLite takes one writer at a time).
        target = {16: 0.8, 1: 0.6}.get(writers) if vendor == "postgresql" else None
        results.append({
            "name": f"audited appends/s, {writers} writer(s) ({vendor})",
            "ours": ours, "baseline": plain, "baseline_name": "plain INSERTs/s",
            "ratio": ratio, "target": f">= {target}x" if target else "reported",
            "met": ratio >= target if target else True,
        })  # fmt: skip
        if waited:
            p99 = statistics.quantiles(waited, n=100)[98] if len(waited) > 1 else waited[0]
            results.append({
                "name": f"merge delay p99, {writers} writer(s) ({vendor})",
                "ours": p99 * 1000, "unit": "ms", "baseline": max(waited) * 1000,
                "baseline_name": "the longest", "ratio": None, "target": "<= 1,000 ms",
                "met": p99 <= 1.0,
            })  # fmt: skip
    connections.close_all()
    sequencer.sequence()
    return results


def _write_pending(connection, n: int) -> None:
    """`n` entries as appends leave them (pending), written by the database itself."""
    from django.utils import timezone

    from hippocratic.provider import policy_version

    columns = ("at, actor, role, purpose, action, subject, subject_ref, categories, allowed, "
               "reason, rule, promise, rows, policy_version, prev_hash, chain_hash")  # fmt: skip
    values = ("%s, 'task:bench', 'system', 'essential.service', 'read', 'customer', "
              "CAST(i AS text), '[\"user.name\"]', true, 'allowed', '', '', 0, %s, "
              "'', ''")  # fmt: skip
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO enforcement_auditentry ({columns}) "  # noqa: S608 (constants)
                f"SELECT {values} FROM generate_series(1, %s) AS i",
                [timezone.now(), policy_version(), n],
            )
        else:
            cursor.execute(
                f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %s) "  # noqa: S608
                f"INSERT INTO enforcement_auditentry ({columns}) SELECT {values} FROM s",
                [n, timezone.now().isoformat(), policy_version()],
            )


def a_million(vendor: str) -> list[dict]:
    from django.db import connections
    from django.test import override_settings

    from hippocratic.enforcement import audit, proofs, sequencer

    connection = connections["stock"]
    already = audit.verify().entries
    _write_pending(connection, MILLION)
    began = time.perf_counter()
    sequencer.sequence()
    placing = time.perf_counter() - began
    began = time.perf_counter()
    verdict = audit.verify()
    checking = time.perf_counter() - began
    total = already + MILLION
    results = [
        {"name": f"sequencer: place {MILLION:,} entries ({vendor})", "ours": placing,
         "unit": "s", "baseline": None, "baseline_name": "-", "ratio": None,
         "target": "reported", "met": True},
        {"name": f"audit verify, {total:,} entries ({vendor})", "ours": checking, "unit": "s",
         "baseline": None, "baseline_name": "-", "ratio": None, "target": "< 60 s",
         "met": verdict.ok and checking < 60},
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder, override_settings(
        HIPPOCRATIC_AUDIT_KEY=str(Path(folder) / "k.pem"),
        HIPPOCRATIC_AUDIT_CHECKPOINTS=str(Path(folder) / "heads"),
    ):  # fmt: skip
        audit.generate_key(Path(folder) / "k.pem")
        audit.checkpoint()
        times = []
        for seq in range(1, total + 1, max(1, total // 200)):
            start = time.perf_counter()
            proofs.inclusion(seq)
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    results.append({
        "name": f"inclusion proof in a tree of {total:,} ({vendor})", "ours": median * 1000,
        "unit": "ms", "baseline": max(times) * 1000, "baseline_name": "the slowest",
        "ratio": None, "target": "< 10 ms", "met": median < 0.010,
    })  # fmt: skip
    return results


def measure(vendor: str) -> list[dict]:
    return [*writers_against_plain(vendor), *a_million(vendor)]
