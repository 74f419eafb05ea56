"""`make bench`: the enforcement core's speed, against named baselines, in one run.

  1. decisions per second of the compiled engine against pycasbin's enforce()
     on an equivalent model (the same allowed tuples; answers checked equal);
     target: at least 10x pycasbin;
  2. reading 10,000 customer rows through the gateway (decision, opt-out
     filter, one audit entry) against the plain ORM; target: at most 1.3x;
  3. the audit log at scale (scripts/bench_audit.py): 1, 4 and 16 concurrent writers
     against plain INSERTs, the merge delay, verifying 1,000,000 entries, a proof;
  4. a customer's export and erasure with 100,000 log entries and 1,000
     subscriptions (scripts/bench_accounts.py), on each database; target: < 2 s;
  5. one billing run for 10,000 customers (scripts/bench_billing.py) against a
     plain loop of the same processor calls; target: at most 1.3x, < 60 s on SQLite;
  6. mail (scripts/bench_mail.py): a newsletter to 100,000 members against smtplib,
     and LMTP intake against a bare aiosmtpd handler;
  7. mailboxes (scripts/bench_mailbox.py): a page of a 100,000-message mailbox through
     the gateway with decryption against the plain ORM; sealed intake against clear;
  8. visitor logging (scripts/bench_tracking.py): log import against GoAccess,
     recording overhead under wrk, dashboard time at 10k to 10M page views.

Database measurements run in a child process per database, on a fresh test
database that is dropped afterwards.
"""

import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "scripts"))

CASBIN_MODEL = """
[request_definition]
r = role, purpose, category, subject
[policy_definition]
p = role, purpose, category, subject
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = r.role == p.role && r.purpose == p.purpose && r.category == p.category && r.subject == p.subject
"""


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def engine_against_casbin() -> list[dict]:
    import casbin

    from hippocratic.policy import load_policy
    from hippocratic.policy.decision import DEFAULT_ROLES, Engine

    policy = load_policy(REPO / "policies" / "ducallier.yaml").policy
    engine = Engine(policy)
    subjects = [k.value for k in policy.subjects]
    categories = sorted(policy.collected_categories())
    space = [
        (role, purpose, category, subject)
        for role in DEFAULT_ROLES
        for purpose in policy.purposes
        for category in categories
        for subject in subjects
    ]
    model = casbin.Model()
    model.load_model_from_text(CASBIN_MODEL)
    enforcer = casbin.Enforcer(model)
    allowed = [t for t in space if engine.decide(t[0], t[1], (t[2],), t[3]).allowed]
    enforcer.add_policies([list(t) for t in allowed])

    rng = random.Random(7)
    requests = [rng.choice(space) for _ in range(20_000)]
    ours = [engine.decide(r, p, (c,), s).allowed for r, p, c, s in requests]
    start = time.perf_counter()
    theirs = [enforcer.enforce(*t) for t in requests]
    t_casbin = time.perf_counter() - start
    if ours != theirs:
        raise SystemExit("the engine and pycasbin disagree: the models are not equivalent")

    t_ours = best_of(3, lambda: [engine.decide(r, p, (c,), s) for r, p, c, s in requests])
    # The same work with the cache off: every answer computed from the rules.
    t_cold = best_of(3, lambda: [engine._decide_one(r, p, s, c) for r, p, c, s in requests])
    name = f"decisions/s (Ducallier, {len(allowed)} allowed tuples, 20k requests)"
    return [
        {
            "name": name, "ours": len(requests) / t_ours, "baseline": len(requests) / t_casbin,
            "baseline_name": "pycasbin enforce()", "ratio": t_casbin / t_ours,
            "target": ">= 10x", "met": t_casbin / t_ours >= 10,
        },
        {
            "name": name.replace("decisions/s", "decisions/s, cache off"),
            "ours": len(requests) / t_cold, "baseline": len(requests) / t_casbin,
            "baseline_name": "pycasbin enforce()", "ratio": t_casbin / t_cold,
            "target": ">= 10x", "met": t_casbin / t_cold >= 10,
        },
    ]  # fmt: skip


def database_benchmarks() -> list[dict]:
    """Run in a child process: DJANGO_SETTINGS_MODULE and DATABASE_URL are set."""
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        return _measure(connection.vendor)
    finally:
        from django.db import connections

        if "stock" in connections.settings:
            connections["stock"].close()  # the baseline's connection, before the drop
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _measure(vendor: str) -> list[dict]:
    from django.test import override_settings

    from hippocratic.accounts.models import Customer
    from hippocratic.enforcement.actors import Actor

    results = []
    with override_settings(HIPPOCRATIC_POLICY=str(REPO / "policies" / "ducallier.yaml")):
        system = Actor.system("bench")
        Customer.objects.for_purpose(system, "essential.service").bulk_create(
            Customer(name=f"Customer {i}", email=f"c{i}@example.com", phone="+1 555 0100",
                     address=f"{i} Main Street", company="Example Ltd")
            for i in range(10_000)
        )  # fmt: skip

        plain_alias = _stock_alias()
        if os.environ.get("HIPPOCRATIC_BENCH_ONLY") == "audit":
            import bench_audit

            return bench_audit.measure(vendor)
        if os.environ.get("HIPPOCRATIC_BENCH_ONLY") == "mailbox":
            import bench_mailbox

            return bench_mailbox.measure(vendor)

        def check(rows):
            if len(rows) != 10_000:
                raise SystemExit(f"expected 10,000 rows, read {len(rows)}")

        def plain():
            check(list(Customer.internal.using(plain_alias).all()))

        support = Actor("staff.support", "bench")

        def gateway():
            check(list(Customer.objects.for_purpose(support, "essential.service")))

        results.append(_compare(f"read 10,000 customers ({vendor})", plain, gateway, 5))

        # Small reads: the gate's analysis and its audit entry, a query at a time.
        ids = list(Customer.internal.using(plain_alias).values_list("pk", flat=True)[:200])
        rows = Customer.objects.for_purpose(support, "essential.service")
        stock = Customer.internal.using(plain_alias)
        shapes = [
            ("a page of 50 customers, by name", lambda qs, i: list(
                qs.filter(name__startswith="Customer 1").order_by("name")[:50])),
            ("count() of customers with an address", lambda qs, i: qs.filter(
                address__endswith="Street").count()),
            ("one customer by number", lambda qs, i: qs.get(pk=ids[i % len(ids)])),
        ]  # fmt: skip
        for name, ask in shapes:
            results.append(_compare(
                f"{name}, 200 times ({vendor})",
                lambda ask=ask: [ask(stock, i) for i in range(200)],
                lambda ask=ask: [ask(rows, i) for i in range(200)], 5,
            ))  # fmt: skip
        # The same, the gate's analysis and decision alone: its audit entry not written
        # (a chained append, committed, is most of a small read's cost: issue 28).
        from hippocratic.enforcement import gate

        appends = gate.write
        gate.write = lambda *args, **kwargs: None
        try:
            for name, ask in shapes:
                result = _compare(
                    f"{name}, decided, not audited ({vendor})",
                    lambda ask=ask: [ask(stock, i) for i in range(200)],
                    lambda ask=ask: [ask(rows, i) for i in range(200)], 5,
                )  # fmt: skip
                results.append(result)
        finally:
            gate.write = appends

        if os.environ.get("HIPPOCRATIC_BENCH_ONLY") == "gateway":
            return results
        import bench_audit

        results += bench_audit.measure(vendor)
        import bench_accounts

        results += bench_accounts.measure(vendor)
        import bench_billing

        results += bench_billing.measure(vendor)
        import bench_mail

        results += bench_mail.measure(vendor)
        import bench_mailbox

        results += bench_mailbox.measure(vendor)
    return results


def _compare(name: str, plain, gateway, runs: int) -> dict:
    """Gateway against Django's own backend on the same rows, best of `runs` each."""
    plain()
    gateway()
    t_plain, t_gateway = best_of(runs, plain), best_of(runs, gateway)
    return {
        "name": name, "ours": t_gateway * 1000, "baseline": t_plain * 1000, "unit": "ms",
        "baseline_name": "Django, no gate", "ratio": t_gateway / t_plain,
        "target": "<= 1.3x", "met": t_gateway / t_plain <= 1.3,
    }  # fmt: skip


def _stock_alias() -> str:
    """The same database through Django's own backend: no gate, no cursor guard."""
    from django.db import connections

    from hippocratic.enforcement.backends import ENGINES

    settings_dict = dict(connections["default"].settings_dict)
    stock = {ours: django for django, ours in ENGINES.items()}
    settings_dict["ENGINE"] = stock[settings_dict["ENGINE"]]
    connections.settings["stock"] = settings_dict
    return "stock"


def postgres_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
        return True
    except OSError:
        return False


def child(database_url: str | None) -> list[dict]:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="settings_for_tests", PYTHONPATH="tests:scripts")
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    out = subprocess.run(
        [sys.executable, __file__, "--database"], env=env, cwd=REPO,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise SystemExit(f"database benchmark failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def number(value, unit="") -> str:
    if value is None:
        return "-"
    return f"{value:,.1f} {unit}".strip() if value < 100 else f"{value:,.0f} {unit}".strip()


def main() -> int:
    if sys.argv[1:] == ["--database"]:
        print(json.dumps(database_benchmarks()))
        return 0
    import bench_tracking

    # HIPPOCRATIC_BENCH_ONLY: gateway, audit, mailbox (database rows only) or tracking.
    only = os.environ.get("HIPPOCRATIC_BENCH_ONLY", "")
    results = []
    if only != "tracking":
        results += [*engine_against_casbin(), *child(None)]
        if postgres_answers():
            url = f"postgres://postgres@127.0.0.1:5432/hippocratic_bench_{os.getpid()}"
            results += child(url)
        else:
            print("PostgreSQL does not answer on 127.0.0.1:5432: SQLite only\n")
    if only in ("", "tracking"):
        results += bench_tracking.all_benchmarks()
    header = ("benchmark", "ours", "baseline", "ratio", "target", "met")
    rows = [
        (
            r["name"],
            number(r["ours"], r.get("unit", "")),
            f"{number(r['baseline'], r.get('unit', ''))} ({r['baseline_name']})",
            f"{r['ratio']:.2f}x" if r["ratio"] else "-",
            r["target"],
            "yes" if r["met"] else "NO",
        )
        for r in results
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    for line in (header, tuple("-" * w for w in widths), *rows):
        print(" | ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)))
    return 0 if all(r["met"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
