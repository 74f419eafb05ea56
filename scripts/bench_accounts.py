"""`make bench`, customers: a customer's export and erasure with 100,000 log entries
and 1,000 subscriptions (target: each under 2 s), against the plain ORM doing the
same reads (export) or deletes (erasure) with no gateway, decision or audit."""

import json
import time

LOG_ENTRIES, SUBSCRIPTIONS = 100_000, 1_000


def _customer_with_history(number: int):
    import datetime as dt

    from django.utils import timezone

    from hippocratic.accounts.models import AccountEvent, Customer, Service, Subscription
    from hippocratic.billing.models import PaymentMethod
    from hippocratic.enforcement.actors import Actor
    from hippocratic.enforcement.gateway import purpose_for

    system = Actor.system("bench")
    customer = Customer.objects.for_purpose(system, "essential.service").create(
        name=f"Bench Customer {number}", email=f"bench{number}@example.com", phone="+1 555 0100",
        address="1 Main Street", company="Example Ltd",
    )  # fmt: skip
    service, _ = Service.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    now = timezone.now()
    Subscription.objects.for_purpose(system, "essential.service").insert_rows(
        ["customer_id", "service_id", "status", "created_at"],
        [(customer.pk, service.pk, "active", now) for _ in range(SUBSCRIPTIONS)],
    )
    AccountEvent.objects.for_purpose(system, purpose_for(AccountEvent)).insert_rows(
        ["customer_id", "kind", "detail", "created_at"],
        [(customer.pk, "charged", f"Invoice {i}", now - dt.timedelta(minutes=i))
         for i in range(LOG_ENTRIES)],
    )  # fmt: skip
    PaymentMethod.objects.for_purpose(system, "essential.service.payment_processing").create(
        customer=customer,
        processor_token="tok_bench",  # noqa: S106 (a made-up processor token)
        brand="visa",
        last4="4242",
    )
    return customer.pk


def measure(vendor: str) -> list[dict]:
    from django.core.serializers.json import DjangoJSONEncoder

    from hippocratic.accounts import own_data
    from hippocratic.accounts.models import AccountEvent, Customer, Subscription
    from hippocratic.enforcement.actors import Actor
    from hippocratic.enforcement.gateway import decided_elsewhere

    first, second = _customer_with_history(1), _customer_with_history(2)

    def plain_export(pk):
        with decided_elsewhere():
            held = {
                "customer": Customer.internal.filter(pk=pk).values().get(),
                "customer_log": list(AccountEvent.internal.filter(customer_id=pk).values()),
                "subscriptions": list(Subscription.internal.filter(customer_id=pk).values()),
            }
        return json.dumps(held, cls=DjangoJSONEncoder)

    start = time.perf_counter()
    body = json.dumps(own_data.everything(first), cls=DjangoJSONEncoder)
    ours = time.perf_counter() - start
    if body.count('"kind"') != LOG_ENTRIES:
        raise SystemExit("the export did not hold every log entry")
    start = time.perf_counter()
    plain_export(second)
    baseline = time.perf_counter() - start
    results = [{
        "name": f"export: 100k log entries, 1k subscriptions ({vendor})",
        "ours": ours, "baseline": baseline, "unit": "s", "baseline_name": "plain ORM",
        "ratio": ours / baseline, "target": "< 2 s", "met": ours < 2,
    }]  # fmt: skip

    start = time.perf_counter()
    own_data.erase(first, by=Actor.system("bench"))
    ours = time.perf_counter() - start
    with decided_elsewhere():
        if AccountEvent.internal.filter(customer_id=first).exists():
            raise SystemExit("erasure left log entries")
        start = time.perf_counter()
        AccountEvent.internal.filter(customer_id=second).delete()
        Subscription.internal.filter(customer_id=second).delete()
        baseline = time.perf_counter() - start
    results.append({
        "name": f"erasure: the same customer ({vendor})",
        "ours": ours, "baseline": baseline, "unit": "s", "baseline_name": "plain ORM delete",
        "ratio": ours / baseline, "target": "< 2 s", "met": ours < 2,
    })  # fmt: skip
    return results
