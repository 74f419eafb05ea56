"""Integrated services (DIS-5): a customer turns one on from their account; while it is
on, the policy's integration partner may be sent their data, business data included
(through disclosure.services, the one way out), and no one else's."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from hippocratic.billing.models import Invoice
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.gateway import decided_elsewhere
from hippocratic.hosted.models import HostedRecord, Integration
from hippocratic.policy.models import RecipientKind
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose

INTEGRATIONS = Actor.system("hosted.integrations")


def partners():
    return current_policy().recipients_of(RecipientKind.INTEGRATION_PARTNER)


def _partner(key: str):
    found = next((r for r in partners() if r.key == key), None)
    if found is None:
        raise ValidationError(f"the policy names no integration partner '{key}'")
    return found


def start(customer_id: int, recipient: str) -> None:
    _partner(recipient)
    try:
        with transaction.atomic():
            Integration.objects.create(customer_id=customer_id, recipient=recipient)
    except IntegrityError:  # already on
        pass


def stop(customer_id: int, recipient: str) -> None:
    Integration.objects.filter(
        customer_id=customer_id, recipient=recipient, ended_at__isnull=True
    ).update(ended_at=timezone.now())


def in_use(customer_id: int) -> set[str]:
    on = Integration.objects.filter(customer_id=customer_id, ended_at__isnull=True)
    return set(on.values_list("recipient", flat=True))


def integrated_customers(recipient: str, customer_ids) -> set[int]:
    """Of `customer_ids`, the customers of both: those who use `recipient`'s integrated
    service now and have paid us (the seed: "Customers who pay us for use of the
    Services and use this Integrated Service are considered customers of both")."""
    on = Integration.objects.filter(recipient=recipient, ended_at__isnull=True,
                                    customer_id__in=list(customer_ids))  # fmt: skip
    using = set(on.values_list("customer_id", flat=True))
    if not using:
        return set()
    # Whether they have paid is billing data, read as billing to decide the share.
    invoices = Invoice.objects.for_purpose(INTEGRATIONS, Purpose.PAYMENT)
    paid = invoices.filter(customer_id__in=list(using), paid_at__isnull=False)
    return set(paid.values_list("customer_id", flat=True).distinct())


def business_data(customer_ids) -> dict[int, list[dict]]:
    """The customers' hosted records, for a package to an integration partner: read by
    disclosure.approve, which decided the share and audits it per customer."""
    found: dict[int, list[dict]] = {}
    with decided_elsewhere():
        rows = HostedRecord.internal.filter(customer_id__in=list(customer_ids)).order_by("pk")
        for row in rows.values("customer_id", "pk", "kind", "title", "body", "updated_at"):
            found.setdefault(row.pop("customer_id"), []).append(row)
    return found
