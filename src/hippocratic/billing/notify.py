"""Mail to the customer about their invoices: a declined charge and when it is tried
again, and the suspension after the last retry. Never silently.

A run sends `customer_to_tell(invoice_id, kind)` once committed; the worker then calls
`send`, which reads what it needs itself: the task's arguments carry an invoice number,
never an address.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from hippocratic.accounts import notices
from hippocratic.billing.models import Invoice
from hippocratic.enforcement.actors import Actor
from hippocratic.money import format_money
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose

CHARGE_FAILED = "charge_failed"
SUSPENDED = "suspended"
SUBJECTS = {
    CHARGE_FAILED: "We could not take payment for invoice {number}",
    SUSPENDED: "Your services are suspended: invoice {number} is unpaid",
}
NOTICE = Actor.system("billing.notice")


def send(invoice_id: int, kind: str) -> bool:
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
    context = {
        **invoice,
        "amount": format_money(invoice["total"], invoice["currency"]),
        "provider": current_policy().provider.name,
        "billing_url": settings.SITE_URL + reverse("billing:home"),
    }
    body = render_to_string(f"billing/mail/{kind}.txt", context)
    subject = SUBJECTS[kind].format(number=invoice["number"])
    return notices.mail_customer(invoice["customer_id"], subject, body, by=NOTICE)
