"""Refunds through the processor, by staff whose role is billing (PAY-2)."""

from django.db import transaction
from django.db.models import F

from hippocratic.billing.models import Invoice, InvoiceRefund
from hippocratic.billing.processors import PaymentError, current_processor
from hippocratic.enforcement.actors import Actor
from hippocratic.purposes import Purpose


def refund(actor: Actor, invoice_id: int, amount: int | None = None) -> InvoiceRefund:
    """Give back `amount` (all that is left, by default) of a paid invoice. The
    idempotency key counts the invoice's refunds, so a retried request refunds once."""
    invoices = Invoice.objects.for_purpose(actor, Purpose.PAYMENT).filter(pk=invoice_id)
    invoice = invoices.get()
    if invoice.status not in (Invoice.Status.PAID, Invoice.Status.REFUNDED):
        raise PaymentError("Only a paid invoice can be refunded.", "not_paid")
    left = invoice.total - invoice.refunded
    amount = left if amount is None else amount
    if not 0 < amount <= left:
        raise PaymentError("A refund cannot exceed what was paid.", "amount_too_large")
    previous = InvoiceRefund.objects.for_purpose(actor, Purpose.PAYMENT).filter(
        invoice_id=invoice_id
    )
    key = f"{invoice.number}/refund-{previous.count() + 1}"
    done = current_processor().refund(invoice.processor_charge, amount, key)
    with transaction.atomic():
        given = InvoiceRefund.objects.for_purpose(actor, Purpose.PAYMENT).create(
            customer_id=invoice.customer_id, invoice_id=invoice_id, idempotency_key=key,
            amount=done.amount, processor_refund=done.reference, staff=actor.label,
        )  # fmt: skip
        status = Invoice.Status.REFUNDED if done.amount == left else Invoice.Status.PAID
        # The refund shows on the customer's invoice; the audit log names who gave it.
        invoices.update(refunded=F("refunded") + done.amount, status=status)
    return given
