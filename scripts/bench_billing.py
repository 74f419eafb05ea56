"""`make bench`, billing: one billing run for 10,000 customers on the sandbox
processor (issue each invoice, charge it, record the answer), against a plain loop
making the same processor calls with nothing around them. Target: at most 1.3x
that loop, and under a minute on SQLite."""

import datetime as dt
import os
import time

CUSTOMERS = int(os.environ.get("BENCH_BILLING_CUSTOMERS", "10000"))


def _customers_with_a_card_and_a_service(system, billing_purpose) -> list[str]:
    """10,000 customers (those the read benchmark made), each with a card set up at
    the sandbox processor and a service since last month. Returns their tokens."""
    from django.utils import timezone

    from hippocratic.accounts.models import Customer, Service, Subscription
    from hippocratic.billing.models import PaymentMethod
    from hippocratic.billing.processors import CardDetails, current_processor
    from hippocratic.enforcement.gateway import decided_elsewhere

    with decided_elsewhere():
        ids = list(Customer.internal.order_by("pk").values_list("pk", flat=True)[:CUSTOMERS])
    if len(ids) != CUSTOMERS:
        raise SystemExit(f"expected {CUSTOMERS:,} customers, found {len(ids):,}")
    card = CardDetails("4242424242424242", 12, 2031, "123")
    tokens = [current_processor().add_card(card, {}) for _ in ids]
    now = timezone.now()
    PaymentMethod.objects.for_purpose(system, billing_purpose).insert_rows(
        ["customer_id", "processor", "processor_token", "brand", "last4", "billing_name",
         "billing_address", "created_at"],
        [(c, "sandbox", t.token, t.brand, t.last4, "", "", now)
         for c, t in zip(ids, tokens, strict=True)],
    )  # fmt: skip
    service, _ = Service.objects.get_or_create(
        code="bench-hosting", defaults={"name": "Hosting", "monthly_price_cents": 1500}
    )
    started = now - dt.timedelta(days=62)
    Subscription.objects.for_purpose(system, "essential.service").insert_rows(
        ["customer_id", "service_id", "status", "created_at"],
        [(c, service.pk, "active", started) for c in ids],
    )
    return [t.token for t in tokens]


def measure(vendor: str) -> list[dict]:
    from django.utils import timezone

    from hippocratic.billing import runs
    from hippocratic.billing.processors import ChargeRequest, current_processor
    from hippocratic.enforcement.actors import Actor
    from hippocratic.purposes import Purpose

    tokens = _customers_with_a_card_and_a_service(Actor.system("bench"), Purpose.PAYMENT)
    processor = current_processor()

    start = time.perf_counter()
    for i, token in enumerate(tokens):
        processor.charge(ChargeRequest(token, 1500, "usd", f"PLAIN-{i}", f"PLAIN-{i}/1"))
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    report = runs.run(timezone.now())
    ours = time.perf_counter() - start
    if (report.issued, report.paid) != (CUSTOMERS, CUSTOMERS):
        raise SystemExit(f"the billing run issued {report.issued:,} and was paid {report.paid:,}")
    ratio = ours / baseline
    limit = 60 if vendor == "sqlite" else None
    return [{
        "name": f"billing run: issue and charge 10,000 invoices ({vendor})",
        "ours": ours, "baseline": baseline, "unit": "s",
        "baseline_name": "plain loop of the same processor calls", "ratio": ratio,
        "target": "<= 1.3x" + (", < 60 s" if limit else ""),
        "met": ratio <= 1.3 and (limit is None or ours < limit),
    }]  # fmt: skip
