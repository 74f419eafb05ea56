"""Background work of the billing app (Django's tasks framework)."""

from django.tasks import task

from hippocratic.billing import runs


@task()
def run_billing() -> dict:
    """Run hourly, and when a customer adds a card: issue the month's invoices once,
    charge what is due, retry what failed when its day comes (billing.runs)."""
    report = runs.run()
    return {"issued": report.issued, "paid": report.paid, "declined": report.declined,
            "unanswered": report.unanswered, "suspended": len(report.suspended)}  # fmt: skip
