"""Mail to the customer about their invoices: a declined charge and when it is tried
again, and the suspension after the last retry. Never silently.

`tell` queues the message (a task), which reads what it needs itself: the task's
arguments carry an invoice number, never an address.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse

from hippocratic.accounts.models import Customer
from hippocratic.billing.models import Invoice
from hippocratic.enforcement.actors import Actor
from hippocratic.money import format_money
from hippocratic.provider import current_policy, sender_address
from hippocratic.purposes import Purpose

CHARGE_FAILED = "charge_failed"
SUSPENDED = "suspended"
SUBJECTS = {
    CHARGE_FAILED: "We could not take payment for invoice {number}",
    SUSPENDED: "Your services are suspended: invoice {number} is unpaid",
}
NOTICE = Actor.system("billing.notice")


def tell(invoice_id: int, kind: str) -> None:
    send_billing_notice.enqueue(invoice_id, kind)


@task()
def send_billing_notice(invoice_id: int, kind: str) -> bool:
    """Returns whether a mail went (not where the customer gave no address)."""
    invoice = (
        Invoice.objects.for_purpose(NOTICE, Purpose.PAYMENT)
        .filter(pk=invoice_id)
        .values("customer_id", "number", "total", "currency", "status", "next_attempt_at",
                "card_last4")
        .first()
    )  # fmt: skip
    if invoice is None:
        return False
    # Telling a customer about their service is providing the service.
    to = (
        Customer.objects.for_purpose(NOTICE, Purpose.SERVICE)
        .filter(pk=invoice["customer_id"])
        .values_list("email", flat=True)
        .first()
    )
    if not to:
        return False
    context = {
        **invoice,
        "amount": format_money(invoice["total"], invoice["currency"]),
        "provider": current_policy().provider.name,
        "billing_url": settings.SITE_URL + reverse("billing:home"),
    }
    body = render_to_string(f"billing/mail/{kind}.txt", context)
    subject = SUBJECTS[kind].format(number=invoice["number"])
    send_mail(subject, body, sender_address(), [to])
    return True
