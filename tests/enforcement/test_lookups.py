"""`field__any=values` and the PostgreSQL array parameters of the gateway's bulk writes."""

import datetime as dt

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from hippocratic.accounts.models import Customer
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.lookups import array_parameter
from hippocratic.messaging.models import Suppression

SYSTEM = Actor.system("tests")


def _customers(n: int) -> list[int]:
    rows = Customer.objects.for_purpose(SYSTEM, "essential.service")
    return [rows.create(name=f"Any {i}", email=f"any{i}@example.com").pk for i in range(n)]


@pytest.mark.django_db
def test_any_finds_what_in_finds(ducallier):
    ids = _customers(5)
    rows = Customer.objects.for_purpose(SYSTEM, "essential.service")
    asked = [ids[0], ids[3], ids[3], None, 10**9]
    assert set(rows.filter(pk__any=asked).values_list("pk", flat=True)) == {ids[0], ids[3]}
    assert list(rows.filter(pk__any=[])) == []
    assert list(rows.filter(pk__any=[None])) == []
    Suppression.objects.create(digest='a"b\\c', reason="test")
    Suppression.objects.create(digest="NULL", reason="test")
    found = Suppression.objects.filter(digest__any=['a"b\\c', "NULL", "", "x"])
    assert sorted(found.values_list("digest", flat=True)) == ["NULL", 'a"b\\c']


@pytest.mark.django_db
def test_any_on_a_foreign_key_takes_ids_and_rows(ducallier):
    from hippocratic.messaging.models import ListMembership

    ids = _customers(3)
    members = ListMembership.objects.for_purpose(SYSTEM, "essential.service")
    for pk in ids[:2]:
        members.create(customer_id=pk, source="test", consent_text="yes", policy_version="0")
    by_id = members.filter(customer_id__any=[ids[1], ids[2]]).values_list("customer_id", flat=True)
    assert list(by_id) == [ids[1]]
    customer = Customer.objects.for_purpose(SYSTEM, "essential.service").get(pk=ids[0])
    assert members.filter(customer__any=[customer]).count() == 1


def test_the_array_text_form_is_used_for_numbers_text_and_times_only():
    at = dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.UTC)
    assert array_parameter([1, None, 3]) == "{1,NULL,3}"
    assert array_parameter(['a"b', None, "NULL"]) == '{"a\\"b",NULL,"NULL"}'
    assert array_parameter([at]) == '{"2026-11-28T05:00:00+00:00"}'
    assert array_parameter([True, False]) == [True, False]  # psycopg's own
    assert array_parameter([b"x"]) == [b"x"]
    assert array_parameter([at.replace(tzinfo=None)]) == [at.replace(tzinfo=None)]


needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL arrays")


def _round_trip(values, type_):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT v FROM unnest(CAST(%s AS {type_}[])) WITH ORDINALITY AS t(v, n) ORDER BY n",  # noqa: S608
            [array_parameter(values)],
        )
        return [row[0] for row in cursor.fetchall()]


# Text PostgreSQL can hold: no NUL, no lone surrogate (UTF-8 cannot encode one).
_TEXT = st.text(alphabet=st.characters(exclude_characters="\x00", exclude_categories=("Cs",)))


@needs_postgresql
@pytest.mark.django_db
@settings(max_examples=200, deadline=None)
@given(st.lists(st.none() | _TEXT, max_size=20))
def test_any_text_reads_back_as_itself_from_postgresql(values):
    assert _round_trip(values, "text") == values


@needs_postgresql
@pytest.mark.django_db
@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=20),
    st.lists(st.none() | st.datetimes(timezones=st.just(dt.UTC)), max_size=20),
)
def test_numbers_and_times_read_back_as_themselves_from_postgresql(numbers, times):
    assert _round_trip(numbers, "bigint") == numbers
    assert _round_trip(times, "timestamptz") == times
