"""No side doors: a query is decided and audited on every category it names, however it
is run and from whichever model it starts (issue "No side doors").

The cases of the issue first (Quality's card data under a marketing purpose, Ducallier's
diagnostic addresses under analytics), then the joins from other models, then the raw
ways in. test_every_door.py generates the rest from the model registry."""

import pytest
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q
from django.db.models.expressions import RawSQL
from factories import SYSTEM
from tests_paths import use_profile

from hippocratic.accounts.models import Customer, Organisation, Service, Subscription
from hippocratic.billing.models import PaymentMethod
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.decided import decided_elsewhere
from hippocratic.enforcement.gateway import AccessDenied, UnscopedAccess
from hippocratic.enforcement.models import AuditEntry
from hippocratic.tracking.models import DiagnosticAddress

MARKETING = Actor("staff.marketing", "user:8:mo")
MAIL = "marketing.communications.email"
PAYMENTS = "essential.service.payment_processing"
ANALYTICS = "analytics.reporting.content_performance"


@pytest.fixture
def quality_card(db):
    with use_profile("quality"):
        ada = Customer.objects.for_purpose(SYSTEM, "essential.service").create(
            name="Ada Lovelace", phone="+1 555 0100"
        )
        card = PaymentMethod.objects.for_purpose(SYSTEM, PAYMENTS).create(
            customer=ada, processor_token="tok_1", brand="visa", last4="4242"
        )
        yield card


def newest() -> AuditEntry:
    return AuditEntry.objects.order_by("-id").first()


CARD_QUESTIONS = {
    "count": lambda qs, card: qs.count(),
    "exists": lambda qs, card: qs.exists(),
    "contains": lambda qs, card: qs.contains(card),
    "filter-exists": lambda qs, card: qs.filter(last4="4242").exists(),
    "filter-count": lambda qs, card: qs.filter(last4="4242").count(),
    "aggregate": lambda qs, card: qs.aggregate(m=Max("last4")),
    "order-by": lambda qs, card: list(qs.order_by("last4").values_list("id", flat=True)),
    "exclude": lambda qs, card: list(qs.exclude(last4__startswith="4").values_list("id")),
    "q-object": lambda qs, card: qs.filter(Q(brand="visa") | Q(pk=0)).exists(),
    "annotate": lambda qs, card: list(qs.annotate(n=Count("last4")).values_list("id", "n")),
    "group-by": lambda qs, card: list(qs.values("brand").annotate(n=Count("id"))),
    "distinct": lambda qs, card: list(qs.values_list("customer_id").distinct()),
    "f-expression": lambda qs, card: qs.filter(brand=F("last4")).exists(),
    "in-bulk": lambda qs, card: qs.in_bulk([card.pk]),
    "first": lambda qs, card: qs.first(),
    "latest": lambda qs, card: qs.latest("created_at"),
    "explain": lambda qs, card: qs.explain(),
    "update": lambda qs, card: qs.filter(last4="4242").update(brand="visa"),
    "delete": lambda qs, card: qs.filter(last4="4242").delete(),
}


@pytest.mark.promise("PAY-2", "SEC-5")
@pytest.mark.parametrize("question", CARD_QUESTIONS, ids=str)
def test_card_data_is_not_answered_for_marketing_however_it_is_asked(quality_card, question):
    """Quality: staff.marketing under marketing mail may not learn that a card ending
    4242 exists, by counting, filtering, ordering, aggregating or writing; each refusal
    is audited, naming the card category."""
    with use_profile("quality"):
        qs = PaymentMethod.objects.for_purpose(MARKETING, MAIL)
        before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
        with pytest.raises(AccessDenied):
            CARD_QUESTIONS[question](qs, quality_card)
        refused = AuditEntry.objects.filter(id__gt=before, allowed=False)
        assert refused.exists(), "the refusal is audited"
        entry = refused.last()
        assert (entry.actor, entry.role, entry.purpose) == ("user:8:mo", "staff.marketing", MAIL)
        assert entry.reason in ("prohibited_use", "purpose_not_allowed", "role_not_permitted")
        # The card is still there, and billing may read it.
        billing = Actor("staff.billing", "user:9:bo")
        assert PaymentMethod.objects.for_purpose(billing, PAYMENTS).get().last4 == "4242"


@pytest.mark.promise("PAY-2", "SEC-5")
def test_an_allowed_question_is_answered_and_audited_naming_what_it_filtered_on(quality_card):
    with use_profile("quality"):
        billing = Actor("staff.billing", "user:9:bo")
        qs = PaymentMethod.objects.for_purpose(billing, PAYMENTS)
        assert qs.filter(last4="4242").count() == 1
        entry = newest()
        assert (entry.allowed, entry.action, entry.rows) == (True, "read", 1)
        assert entry.categories == ["user.financial.credit_card"]
        assert qs.aggregate(m=Max("last4")) == {"m": "4242"}


@pytest.fixture
def ducallier_address(db):
    with use_profile("ducallier"):
        diagnostics = Actor.system("tracking.diagnostics")
        DiagnosticAddress.objects.for_purpose(diagnostics, "essential.service.operations").create(
            hour="2026-12-03T10:00:00Z", ip_address="192.0.2.7"
        )
        yield


@pytest.mark.promise("VIS-11", "VIS-5")
@pytest.mark.parametrize(
    "question",
    [
        lambda qs: qs.count(),
        lambda qs: qs.exists(),
        lambda qs: qs.filter(ip_address="192.0.2.7").exists(),
        lambda qs: list(qs.values_list("hour", flat=True)),
    ],
    ids=["count", "exists", "filter-exists", "hours"],
)
def test_diagnostic_addresses_are_not_answered_for_analytics(ducallier_address, question):
    with use_profile("ducallier"):
        analyst = Actor("staff.analytics", "user:5:an")
        qs = DiagnosticAddress.objects.for_purpose(
            analyst, "analytics.reporting.content_performance"
        )
        with pytest.raises(AccessDenied):
            question(qs)
        assert newest().allowed is False


# --- other models: joins, related objects, related managers -------------------------------


@pytest.fixture
def ada(db):
    with use_profile("ducallier"):
        org = Organisation.objects.create()
        customer = Customer.objects.for_purpose(SYSTEM, "essential.service").create(
            name="Ada Lovelace", email="ada@example.com", phone="+44 20 7946 0000",
            organisation=org,
        )  # fmt: skip
        yield customer


@pytest.mark.promise("SEC-5")
@pytest.mark.parametrize(
    "question",
    [
        lambda: Organisation.objects.filter(members__email="ada@example.com").exists(),
        lambda: list(Organisation.objects.values_list("members__phone", flat=True)),
        lambda: Organisation.objects.annotate(n=Count("members")).first().n,
        lambda: list(Organisation.objects.order_by("members__name").values_list("id")),
    ],
    ids=["filter", "values", "annotate", "order-by"],
)
def test_a_model_that_is_not_personal_cannot_join_into_one_unscoped(ada, question):
    with use_profile("ducallier"), pytest.raises(UnscopedAccess):
        question()
    entry = newest()
    assert (entry.allowed, entry.reason, entry.role) == (False, "unscoped", "none")


@pytest.mark.promise("SEC-5", "ACC-4")
def test_a_join_from_a_personal_model_is_decided_on_what_it_reaches(ada):
    """Marketing may use the e-mail address, not the phone number: filtering
    subscriptions by their customer's phone is refused, by e-mail answered."""
    with use_profile("ducallier"):
        Subscription.objects.for_purpose(SYSTEM, "essential.service").create(
            customer=ada, service_id=_service().pk
        )
        marketing = Subscription.objects.for_purpose(MARKETING, MAIL)
        with pytest.raises(AccessDenied, match=r"phone_number|purpose_not_allowed"):
            marketing.filter(customer__phone__startswith="+44").exists()
        with pytest.raises(AccessDenied):
            list(marketing.select_related("customer"))  # the customer's phone comes with it


@pytest.mark.promise("SEC-5")
def test_related_objects_are_read_in_the_scope_of_the_instance(ada):
    """A row's related rows are read in the scope the row was read in, decided and
    audited; from a row read outside the gateway, they are refused."""
    with use_profile("ducallier"):
        card = PaymentMethod.objects.for_purpose(SYSTEM, PAYMENTS).create(
            customer=ada, processor_token="tok", brand="visa", last4="4242"
        )
        method = PaymentMethod.objects.for_purpose(SYSTEM, PAYMENTS).get(pk=card.pk)
        before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
        assert method.customer.name == "Ada Lovelace"
        entry = AuditEntry.objects.get(id__gt=before)
        assert (entry.subject, entry.purpose, entry.allowed) == ("customer", PAYMENTS, True)
        me = Customer.objects.for_purpose(SYSTEM, PAYMENTS).get()
        with pytest.raises(AccessDenied):  # support may not read card data
            support = Customer.objects.for_purpose(Actor("staff.support", "s"), "essential.service")
            list(support.get().paymentmethod_set.all())
        assert [m.last4 for m in me.paymentmethod_set.all()] == ["4242"]  # system may
        with decided_elsewhere():
            unscoped = PaymentMethod.internal.get(pk=card.pk)
        with pytest.raises(UnscopedAccess):
            _ = unscoped.customer


@pytest.mark.promise("SEC-5")
def test_a_subject_reaches_only_their_own_rows_through_a_join(ada):
    """A customer's own query may follow their own rows' relation, never to another's."""
    with use_profile("ducallier"):
        grace = Customer.objects.for_purpose(SYSTEM, "essential.service").create(
            name="Grace", email="grace@example.com", organisation=ada.organisation
        )
        me = Actor.for_customer(ada.pk)
        mine = Customer.objects.for_purpose(me, "essential.service")
        assert list(mine.values_list("name", flat=True)) == ["Ada Lovelace"]
        with pytest.raises(AccessDenied, match="not_own_rows"):
            list(mine.values_list("organisation__members__email", flat=True))
        others = Customer.objects.for_purpose(SYSTEM, "essential.service").filter(pk=grace.pk)
        with pytest.raises(UnscopedAccess):  # an unscoped subquery takes no subject's scope
            mine.filter(pk__in=Customer.internal.filter(email="grace@example.com")).exists()
        assert not mine.filter(pk__in=others.values("pk")).exists()


# --- the raw ways in -----------------------------------------------------------------------


@pytest.mark.promise("SEC-5")
def test_hand_written_sql_on_personal_tables_is_refused(ada):
    with use_profile("ducallier"):
        qs = Customer.objects.for_purpose(SYSTEM, "essential.service")
        with pytest.raises(AccessDenied, match="raw"):
            qs.raw("SELECT * FROM accounts_customer")
        with pytest.raises(AccessDenied, match="extra"):
            qs.extra(where=["phone LIKE '+44%%'"])
        with pytest.raises(AccessDenied, match="unseen_sql"):
            list(qs.annotate(p=RawSQL("phone", [])).values_list("p"))
        with pytest.raises(UnscopedAccess):
            list(Organisation.objects.raw("SELECT id FROM accounts_customer"))
        with pytest.raises(AccessDenied, match="did not decide"):
            Organisation.objects.annotate(
                n=RawSQL("SELECT COUNT(*) FROM accounts_customer WHERE phone LIKE %s", ["+44%"])
            ).first()
        with pytest.raises(UnscopedAccess), connection.cursor() as cursor:
            cursor.execute("SELECT email FROM accounts_customer")
        assert AuditEntry.objects.filter(reason="unscoped").exists()
        with pytest.raises(UnscopedAccess), transaction.atomic():  # saved outside the gateway
            Customer(name="Eve").save()


def _service() -> Service:
    return Service.objects.get_or_create(code="web", defaults={"name": "Web"})[0]
