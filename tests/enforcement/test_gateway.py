"""Personal data is read and written only within a declared purpose, and every access is audited."""

import pytest
from factories import SYSTEM

from hippocratic.accounts.models import Customer
from hippocratic.billing.models import PaymentMethod
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.gateway import AccessDenied, UnscopedAccess
from hippocratic.enforcement.models import AuditEntry, OptOut
from hippocratic.policy.reasons import Reason

SUPPORT = Actor("staff.support", "user:7:sam")
MARKETING = Actor("staff.marketing", "user:8:mo")
ADMIN = Actor("staff.admin", "user:1:root")


@pytest.mark.promise("SEC-5")
@pytest.mark.django_db
@pytest.mark.parametrize(
    "access",
    [
        lambda: list(Customer.objects.all()),
        lambda: Customer.objects.filter(name="x").count(),
        lambda: Customer.objects.get(pk=1),
        lambda: Customer.objects.create(name="Eve"),
    ],
    ids=["all", "filter-count", "get", "create"],
)
def test_unscoped_access_is_an_error(ducallier, access):
    with pytest.raises(UnscopedAccess, match=r"for_purpose\(actor, purpose\)"):
        access()


@pytest.mark.promise("SEC-5")
def test_each_query_writes_one_audit_entry_with_who_why_and_what(customer):
    before = AuditEntry.objects.count()
    rows = list(Customer.objects.for_purpose(SUPPORT, "essential.service"))
    assert [c.name for c in rows] == ["Ada Lovelace"]
    entry = AuditEntry.objects.order_by("-id").first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.actor, entry.role, entry.purpose, entry.action) == (
        "user:7:sam", "staff.support", "essential.service", "read",
    )  # fmt: skip
    assert (entry.subject, entry.allowed, entry.rows) == ("customer", True, 1)
    assert "user.contact.email" in entry.categories


@pytest.mark.promise("SEC-5")
def test_bulk_read_writes_one_entry_not_one_per_row(ducallier, db):
    Customer.objects.for_purpose(SYSTEM, "essential.service").bulk_create(
        [Customer(name=f"c{i}") for i in range(50)]
    )
    before = AuditEntry.objects.count()
    assert len(list(Customer.objects.for_purpose(SUPPORT, "essential.service"))) == 50
    assert AuditEntry.objects.count() == before + 1
    assert AuditEntry.objects.order_by("-id").first().rows == 50


@pytest.mark.promise("PAY-2")
@pytest.mark.parametrize("actor", [ADMIN, MARKETING, SYSTEM], ids=lambda a: a.role)
def test_billing_data_cannot_be_read_for_marketing_even_by_staff(card, actor):
    qs = PaymentMethod.objects.for_purpose(actor, "marketing.communications.email")
    with pytest.raises(AccessDenied) as info:
        list(qs)
    assert info.value.decision.reason is Reason.PROHIBITED_USE
    assert info.value.decision.promise == "PAY-2"
    denied = AuditEntry.objects.order_by("-id").first()
    assert (denied.allowed, denied.reason, denied.promise) == (False, "prohibited_use", "PAY-2")
    assert (
        PaymentMethod.objects.for_purpose(
            Actor("staff.billing", "user:9:bo"), "essential.service.payment_processing"
        )
        .get()
        .last4
        == "4242"
    )


@pytest.mark.promise("ACC-4")
def test_fields_a_purpose_may_not_see_are_withheld(customer):
    """Marketing may use the e-mail address but not the phone number or postal address."""
    seen = Customer.objects.for_purpose(MARKETING, "marketing.communications.email").get()
    assert seen.email == "ada@example.com"
    assert (seen.phone, seen.address) == (None, None)
    with pytest.raises(AccessDenied, match="withheld"):
        seen.save()
    entry = AuditEntry.objects.order_by("-id").first()
    assert "user.contact.phone_number" not in entry.categories


@pytest.mark.promise("ACC-4")
def test_values_of_a_withheld_field_are_refused(customer):
    qs = Customer.objects.for_purpose(MARKETING, "marketing.communications.email")
    assert list(qs.values_list("email", flat=True)) == ["ada@example.com"]
    with pytest.raises(AccessDenied):
        list(qs.values_list("phone", flat=True))


def test_writing_a_category_the_policy_does_not_collect_is_refused(dracon, db):
    """Dracon collects no e-mail address, so none can be stored."""
    gateway = Customer.objects.for_purpose(SYSTEM, "essential.service")
    with pytest.raises(AccessDenied, match=r"may not create user\.contact\.email"):
        gateway.create(name="Bob", email="bob@example.com")
    assert gateway.create(name="Bob").pk is not None


def test_a_subject_who_opted_out_is_left_out(customer):
    other = Customer.objects.for_purpose(SYSTEM, "essential.service").create(
        name="Grace", email="grace@example.com"
    )
    OptOut.objects.create(subject="customer", subject_id=customer.pk, use="marketing")
    mailing = Customer.objects.for_purpose(MARKETING, "marketing.communications.email")
    assert [c.pk for c in mailing] == [other.pk]
    # Service use is untouched by a marketing opt-out (MSG-1).
    service = Customer.objects.for_purpose(SUPPORT, "essential.service")
    assert {c.pk for c in service} == {customer.pk, other.pk}


def test_a_customer_actor_sees_only_their_own_rows(customer):
    Customer.objects.for_purpose(SYSTEM, "essential.service").create(name="Grace")
    me = Actor("customer", f"customer:{customer.pk}", subject_id=customer.pk)
    assert [c.pk for c in Customer.objects.for_purpose(me, "essential.service")] == [customer.pk]


def test_update_and_delete_are_decided_and_audited(customer):
    gateway = Customer.objects.for_purpose(SUPPORT, "essential.service")
    assert gateway.filter(pk=customer.pk).update(phone="+1 555 0100") == 1
    assert AuditEntry.objects.order_by("-id").first().action == "update"
    with pytest.raises(AccessDenied):
        Customer.objects.for_purpose(MARKETING, "marketing.communications.email").update(phone="x")
    # Deleting a customer deletes what goes with them (their cards, their log …): only a
    # purpose that may use all of it may, and the refusal names it all.
    with pytest.raises(AccessDenied, match="purpose_not_allowed"):
        Customer.objects.for_purpose(SYSTEM, "essential.service").delete()
    refused = AuditEntry.objects.order_by("-id").first()
    assert (refused.action, refused.allowed) == ("delete", False)
    assert "user.financial.credit_card" in refused.categories


@pytest.mark.promise("ACC-4")
def test_streamed_reads_are_decided_withheld_and_audited_too(customer):
    before = AuditEntry.objects.count()
    qs = Customer.objects.for_purpose(MARKETING, "marketing.communications.email")
    (seen,) = list(qs.iterator(chunk_size=10))
    assert (seen.email, seen.phone) == ("ada@example.com", None)
    assert AuditEntry.objects.count() == before + 1
    with pytest.raises(AccessDenied):
        next(PaymentMethod.objects.for_purpose(MARKETING, "marketing.communications.email")
             .iterator())  # fmt: skip


@pytest.mark.promise("SEC-5")
def test_row_by_row_updates_are_decided_audited_once_and_kept_in_scope(customer):
    other = Customer.objects.for_purpose(SYSTEM, "essential.service").create(name="Grace")
    me = Actor.for_customer(customer.pk)
    mine = Customer.objects.for_purpose(me, "essential.service")
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    assert mine.update_rows(["phone"], [(customer.pk, "+44 20 7946 0001")]) == 1
    entry = AuditEntry.objects.exclude(action="read").get(id__gt=before)
    assert (entry.action, entry.rows, entry.categories) == (
        "update", 1, ["user.contact.phone_number"])  # fmt: skip
    with pytest.raises(AccessDenied):  # Grace's row is outside the customer's scope
        mine.update_rows(["phone"], [(customer.pk, "1"), (other.pk, "2")])
    with pytest.raises(AccessDenied):  # and marketing may not write a phone number
        Customer.objects.for_purpose(MARKETING, "marketing").update_rows(
            ["phone"], [(customer.pk, "3")]
        )
    rows = Customer.objects.for_purpose(SYSTEM, "essential.service").order_by("pk")
    assert list(rows.values_list("phone", flat=True)) == ["+44 20 7946 0001", ""]
