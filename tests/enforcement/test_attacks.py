"""What an attacker tried against the gate (a review in a fresh clone), each now refused
and audited. Ducallier: staff.marketing under marketing mail may use the e-mail address
only; card data is refused to it everywhere (PAY-2)."""

import pytest
from django.db import connection, transaction
from django.db.models import CharField, F, Func, OuterRef, Subquery, Value
from django.db.models.functions import Concat, Lower
from factories import SYSTEM
from tests_paths import use_profile

from hippocratic.accounts.models import Customer, Organisation, Service, Subscription
from hippocratic.billing.models import PaymentMethod
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.gateway import AccessDenied, UnscopedAccess
from hippocratic.enforcement.models import AuditEntry, OptOut
from hippocratic.messaging.models import ListMembership

MARKETING = Actor("staff.marketing", "user:8:mo")
MAIL = "marketing.communications.email"
PAYMENTS = "essential.service.payment_processing"
SERVICE = "essential.service"
REFUSED = (AccessDenied, UnscopedAccess)


@pytest.fixture
def world(db):
    with use_profile("ducallier"):
        org = Organisation.objects.create()
        people = Customer.objects.for_purpose(SYSTEM, SERVICE)
        ada = people.create(name="Ada", email="ada@example.com", phone="+44 20 7946 0000",
                            organisation=org)  # fmt: skip
        bob = people.create(name="Bob", email="bob@example.com", phone="+1 555 0199",
                            organisation=org)  # fmt: skip
        PaymentMethod.objects.for_purpose(SYSTEM, PAYMENTS).create(
            customer=ada, processor_token="tok_secret", brand="visa", last4="4242"
        )
        yield ada, bob


def marketing():
    return Customer.objects.for_purpose(MARKETING, MAIL)


def refused_and_audited(question):
    """The question is refused, and the refusal is in the audit log."""
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with pytest.raises(REFUSED), transaction.atomic():
        question()
    # (the savepoint took the entry: ask again outside it, where it stays)
    with pytest.raises(REFUSED):
        question()
    assert AuditEntry.objects.filter(id__gt=before, allowed=False).exists()


@pytest.mark.promise("SEC-5", "ACC-9")
def test_combining_querysets_keeps_each_ones_narrowing(world):
    """`mine | everyone` would OR away a customer's own-rows filter; `mailing | everyone`
    the opt-outs. Only querysets of one scope combine."""
    ada, _ = world
    with use_profile("ducallier"):
        mine = Customer.objects.for_purpose(Actor.for_customer(ada.pk), SERVICE)
        for other in (Customer.internal.all(), Customer.objects.for_purpose(SYSTEM, SERVICE)):
            for combine in (lambda a, b: a | b, lambda a, b: a ^ b, lambda a, b: a & b):
                with pytest.raises(AccessDenied, match="not combined"):
                    combine(mine, other)
        same = Customer.objects.for_purpose(Actor.for_customer(ada.pk), SERVICE)
        assert list((mine | same).values_list("name", flat=True)) == ["Ada"]


@pytest.mark.promise("SEC-5")
@pytest.mark.parametrize(
    "expression",
    [
        Func(
            template="(SELECT c2.phone FROM accounts_customer c2 WHERE c2.id = "
            "accounts_customer.id)",
            output_field=CharField(),
        ),
        Func(
            F("email"),
            function="(SELECT max(phone) FROM accounts_customer) ||",
            output_field=CharField(),
        ),
    ],
    ids=["template", "function"],
)
def test_a_hand_written_func_is_refused_like_raw_sql(world, expression):
    with use_profile("ducallier"):
        refused_and_audited(lambda: list(marketing().annotate(p=expression).values_list("p")))
        # Django's own functions are read as any expression is: decided, not refused.
        assert list(marketing().annotate(e=Lower("email")).values_list("e", flat=True))


@pytest.mark.promise("PAY-2", "SEC-5")
def test_a_new_row_is_written_from_values_not_from_a_query(world):
    """An expression in a new row is a read no INSERT's decision sees: refused in
    create(), bulk_create(), update_or_create() and a bound save()."""
    ada, bob = world
    card = Subquery(PaymentMethod.internal.filter(customer_id=ada.pk)
                    .annotate(x=Concat("last4", Value(":"), "processor_token"))
                    .values("x")[:1])  # fmt: skip
    phone = Subquery(Customer.internal.filter(pk=bob.pk).values("phone"))
    with use_profile("ducallier"):
        for write in (
            lambda: marketing().create(email=card),
            lambda: marketing().bulk_create([Customer(email=phone)]),
            lambda: marketing().update_or_create(email="x@example.com", defaults={"email": phone}),
            lambda: Customer(email=phone).bind(MARKETING, MAIL).save(),
        ):
            with pytest.raises(AccessDenied, match="not expressions"), transaction.atomic():
                write()
        assert not marketing().filter(email__contains="4242").exists()


@pytest.mark.promise("MSG-2", "CH-1", "SEC-5")
def test_a_subject_who_opted_out_is_not_reached_another_way(world):
    """Bob opted out of marketing: not through a join, an unscoped subquery or a union."""
    _, bob = world
    OptOut.objects.create(subject="customer", subject_id=bob.pk, use="marketing")
    with use_profile("ducallier"):
        assert list(marketing().values_list("email", flat=True)) == ["ada@example.com"]
        others = Customer.internal.exclude(pk=OuterRef("pk")).values("email")[:1]
        for question in (
            lambda: list(marketing().values_list("organisation__members__email")),
            lambda: list(marketing().annotate(other=Subquery(others)).values_list("other")),
            lambda: list(
                marketing().values_list("email").union(Customer.internal.values_list("email"))
            ),
        ):
            refused_and_audited(question)


@pytest.mark.promise("SEC-5")
def test_hand_written_sql_that_hides_a_table_is_refused(world):
    with use_profile("ducallier"), connection.cursor() as cursor:
        hidden = [
            'SELECT last4 FROM U&"billing\\005Fpaymentmethod"',
            "SELECT query_to_xml('SELECT last4 FROM billing_' || 'paymentmethod', true, true, '')",
            b"SELECT last4 FROM billing_paymentmethod",
        ]
        for sql in hidden:
            with pytest.raises(REFUSED):
                cursor.execute(sql)


@pytest.mark.promise("ACC-4", "SEC-5")
def test_blanking_a_field_is_writing_it(world):
    with use_profile("ducallier"):
        refused_and_audited(lambda: marketing().update(phone="", address="", name=""))
        assert Customer.objects.for_purpose(SYSTEM, SERVICE).filter(phone="").count() == 0


@pytest.mark.promise("ACC-9", "SEC-5")
def test_a_customer_writes_only_their_own_rows(world):
    ada, bob = world
    web = Service.objects.create(code="web", name="Web")
    with use_profile("ducallier"):
        me = Actor.for_customer(ada.pk)
        mine = Subscription.objects.for_purpose(me, SERVICE)
        with pytest.raises(AccessDenied, match="not_own_rows"), transaction.atomic():
            mine.create(customer_id=bob.pk, service=web)
        mine.create(customer_id=ada.pk, service=web)
        refused_and_audited(lambda: mine.update(customer_id=bob.pk))
        me_row = Customer.objects.for_purpose(me, SERVICE)
        refused_and_audited(lambda: me_row.update(organisation_id=None))
        assert not Subscription.objects.for_purpose(Actor.for_customer(bob.pk), SERVICE).exists()


@pytest.mark.promise("SEC-5")
def test_a_column_of_an_outer_query_is_decided_under_the_outer_scope(world):
    """A subquery scoped to the system that names the outer (marketing) query's phone
    column reads it for marketing, and is refused so."""
    with use_profile("ducallier"):
        same_phone = Customer.objects.for_purpose(SYSTEM, SERVICE).filter(
            phone=OuterRef("phone")
        ).values("pk")[:1]  # fmt: skip
        refused_and_audited(
            lambda: list(marketing().annotate(x=Subquery(same_phone)).values_list("x"))
        )


@pytest.mark.promise("SEC-5")
def test_a_save_of_an_expression_is_decided_as_an_update(world):
    """Django runs it as UPDATE … RETURNING: decided and audited, not refused as
    unscoped (the gate missed that path)."""
    ada, _ = world
    with use_profile("ducallier"):
        row = Customer.objects.for_purpose(SYSTEM, SERVICE).get(pk=ada.pk)
        row.email = Lower(Value("ADA@Example.com"))
        row.save(update_fields=["email"])
        assert Customer.objects.for_purpose(SYSTEM, SERVICE).get(pk=ada.pk).email == (
            "ada@example.com"
        )
        assert AuditEntry.objects.filter(action="update", allowed=True).exists()


@pytest.mark.promise("ACC-4")
def test_rows_brought_by_select_related_are_withheld_from_as_the_rows_themselves(world):
    ada, _ = world
    with use_profile("ducallier"):
        ListMembership.objects.for_purpose(SYSTEM, SERVICE).create(
            customer=ada, source="tests", consent_text="yes", policy_version="v"
        )
        (row,) = ListMembership.objects.for_purpose(MARKETING, MAIL).select_related("customer")
        assert (row.customer.email, row.customer.phone) == ("ada@example.com", None)
