"""Background work of the billing app (Django's tasks framework)."""

from django.tasks import task
from django.utils import timezone

from hippocratic.billing import notify, runs


@task()
def run_billing() -> dict:
    """Run hourly, and when a customer adds a card: issue the month's invoices once,
    charge what is due, retry what failed when its day comes (billing.runs)."""
    report = runs.run()
    return {"issued": report.issued, "paid": report.paid, "declined": report.declined,
            "unanswered": report.unanswered, "suspended": len(report.suspended)}  # fmt: skip


@task()
def charge_customer(customer_id: int) -> dict:
    """When a customer adds a card: their invoices waiting on a failed charge, now."""
    report = runs.RunReport()
    runs.charge_due(timezone.now(), report, customer_id=customer_id)
    return {"paid": report.paid, "declined": report.declined}


@task()
def send_billing_notice(invoice_id: int, kind: str) -> bool:
    """Returns whether a mail went (not where the customer gave no address)."""
    return notify.send(invoice_id, kind)


def on_card_added(sender, *, customer_id: int, **kwargs) -> None:
    charge_customer.enqueue(customer_id)


def on_customer_to_tell(sender, *, invoice_id: int, kind: str, **kwargs) -> None:
    send_billing_notice.enqueue(invoice_id, kind)
