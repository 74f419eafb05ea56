"""The data customers keep in our online applications (COM-5): contacts and notes of
their organisation, theirs to add, change and delete, on the site and by the API.
Staff view one only under the customer's permission (enforcement.cases.grant)."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from hippocratic.enforcement.actors import Actor
from hippocratic.hosted.models import BUSINESS_DATA, HostedRecord
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose

FIELDS = ("pk", "kind", "title", "body", "created_at", "updated_at")
MAX_RECORDS = 10_000


def offered() -> bool:
    return BUSINESS_DATA in current_policy().collected_categories("customer")


def mine(customer_id: int):
    return HostedRecord.objects.for_purpose(Actor.for_customer(customer_id), Purpose.SERVICE)


def _clean(kind: str, title: str, body: str) -> dict:
    if kind not in HostedRecord.Kind.values:
        raise ValidationError(f"a record is one of {', '.join(HostedRecord.Kind.values)}")
    title = " ".join((title or "").split())
    if not title or len(title) > 200:
        raise ValidationError("a record has a title of 1 to 200 characters")
    if len(body or "") > 10_000:
        raise ValidationError("a record's text is at most 10,000 characters")
    return {"kind": kind, "title": title, "body": body or ""}


def add(customer_id: int, *, kind: str, title: str, body: str = "") -> int:
    values = _clean(kind, title, body)
    if mine(customer_id).count() >= MAX_RECORDS:
        raise ValidationError(f"at most {MAX_RECORDS:,} records")
    return mine(customer_id).create(customer_id=customer_id, **values).pk


def change(customer_id: int, record_id: int, *, kind: str, title: str, body: str = "") -> bool:
    values = _clean(kind, title, body)
    return bool(mine(customer_id).filter(pk=record_id).update(**values, updated_at=timezone.now()))


def remove(customer_id: int, record_id: int) -> bool:
    return bool(mine(customer_id).filter(pk=record_id).delete()[0])
