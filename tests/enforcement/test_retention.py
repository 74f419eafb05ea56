"""A scheduled task deletes personal data past its retention, and audits what it removed."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from factories import SYSTEM

from hippocratic.accounts.models import Customer
from hippocratic.billing.models import Invoice
from hippocratic.enforcement import retention
from hippocratic.enforcement.gateway import decided_elsewhere
from hippocratic.enforcement.models import AuditEntry
from hippocratic.enforcement.tasks import purge_expired_personal_data

DAYS = dt.timedelta(days=1)


def _customer(closed_days_ago=None, **fields):
    now = timezone.now()
    closed = now - closed_days_ago * DAYS if closed_days_ago is not None else None
    return Customer.objects.for_purpose(SYSTEM, "essential.service").create(
        name="C", email="c@example.com", phone="1", closed_at=closed,
        created_at=now - 4000 * DAYS, **fields,
    )  # fmt: skip


def _row(pk):
    with decided_elsewhere():
        return Customer.internal.filter(pk=pk).first()


@pytest.mark.django_db
def test_expired_rows_are_deleted_and_audited(ducallier):
    gone = _customer(closed_days_ago=400)  # Ducallier keeps contact data 365 days after closure
    kept = _customer(closed_days_ago=100)
    still_open = _customer()
    purge_expired_personal_data.call()
    assert _row(gone.pk) is None
    assert _row(kept.pk).email == "c@example.com"
    assert _row(still_open.pk).email == "c@example.com"
    entry = AuditEntry.objects.filter(actor=retention.ACTOR.label, action="delete").get()
    assert (entry.rows, entry.subject, entry.purpose) == (1, "customer", "retention")
    assert "user.contact.email" in entry.categories


@pytest.mark.django_db
def test_legally_retained_billing_record_outlives_the_contact_data(ducallier):
    """Contact fields go after a year; the invoice (kept 7 years by law) and its row stay,
    less the card's hints, which go with the card 30 days after closure (issue 31)."""
    customer = _customer(closed_days_ago=400)
    Invoice.objects.for_purpose(SYSTEM, "essential.service.payment_processing").create(
        customer=customer, number="INV-1", period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 2, 1), subtotal=1500, total=1500, currency="USD",
        card_last4="4242",
    )  # fmt: skip
    retention.purge(for_real=True)
    row = _row(customer.pk)
    assert row is not None
    assert (row.name, row.email, row.phone) == ("", "", "")
    with decided_elsewhere():
        invoice = Invoice.internal.get()
    assert (invoice.number, invoice.total, invoice.card_last4) == ("INV-1", 1500, "")
    blanked = AuditEntry.objects.filter(actor=retention.ACTOR.label, rule="retention:email").get()
    assert blanked.action == "erase"
    assert blanked.categories == ["user.contact.email"]


@pytest.mark.django_db
def test_dry_run_changes_nothing(ducallier, capsys):
    customer = _customer(closed_days_ago=400)
    call_command("retention")
    assert "would remove (dry run; add --for-real): " in capsys.readouterr().out
    assert _row(customer.pk).email == "c@example.com"
    assert not AuditEntry.objects.filter(actor=retention.ACTOR.label).exists()
    call_command("retention", "--for-real")
    assert _row(customer.pk) is None
