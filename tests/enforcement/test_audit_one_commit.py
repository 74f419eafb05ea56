"""A web request's audit entries are committed together, before its response leaves
(audit.one_commit, AuditMiddleware): one commit a request, not one an entry, and no
response whose entries could not be written."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from hippocratic.enforcement import audit
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.models import AuditEntry
from hippocratic.policy.reasons import Reason

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.promise("SEC-5")]


def _append(ref="*"):
    return audit.append(actor=Actor.system("tests"), action=Action.READ,
                        purpose="essential.service", reason=Reason.ALLOWED,
                        subject="customer", subject_ref=ref, allowed=True)  # fmt: skip


def test_entries_outside_a_transaction_wait_and_are_written_together():
    with CaptureQueriesContext(connection) as seen, audit.one_commit():
        _append("a")
        _append("b")
        assert not AuditEntry.objects.filter(subject_ref__in=["a", "b"]).exists()
        written_inside = len(seen.captured_queries)
    assert AuditEntry.objects.filter(subject_ref__in=["a", "b"]).count() == 2
    # One statement (atomic by itself): no BEGIN and COMMIT of its own.
    statements = [q["sql"] for q in seen.captured_queries[written_inside:]]
    assert len(statements) == 1 and statements[0].startswith("INSERT")


def test_more_entries_than_one_statement_holds_go_in_as_one_transaction(monkeypatch):
    monkeypatch.setattr(audit, "ONE_STATEMENT_ROWS", 2)
    refs = [f"many-{n}" for n in range(5)]
    with CaptureQueriesContext(connection) as seen, audit.one_commit():
        for ref in refs:
            _append(ref)
        written_inside = len(seen.captured_queries)
    assert AuditEntry.objects.filter(subject_ref__in=refs).count() == 5
    statements = [q["sql"] for q in seen.captured_queries[written_inside:]]
    assert "BEGIN" in statements[0] and "COMMIT" in statements[-1]


def test_inside_a_transaction_an_entry_goes_in_at_once_and_rolls_back_with_the_work():
    with audit.one_commit():
        with transaction.atomic():
            _append("kept")
            assert AuditEntry.objects.filter(subject_ref="kept").exists()
        try:
            with transaction.atomic():
                _append("undone")
                raise RuntimeError("the work failed")
        except RuntimeError:
            pass
    assert AuditEntry.objects.filter(subject_ref="kept").count() == 1
    assert not AuditEntry.objects.filter(subject_ref="undone").exists()


def test_entries_are_written_on_the_way_out_of_an_exception():
    with pytest.raises(RuntimeError), audit.one_commit():
        _append("before the failure")
        raise RuntimeError("the view failed")
    assert AuditEntry.objects.filter(subject_ref="before the failure").exists()


def test_a_customers_data_page_leaves_its_entries(signed_up):
    client, me = signed_up()
    before = AuditEntry.objects.filter(actor=f"customer:{me}").count()
    assert client.get("/account/data/").status_code == 200
    assert AuditEntry.objects.filter(actor=f"customer:{me}").count() > before


def test_a_response_whose_entries_cannot_be_written_is_not_sent(signed_up, monkeypatch):
    """The data page read the customer's data; its entries fail to commit: the customer
    gets an error page, not the data."""
    client, _ = signed_up()

    def database_down(rows):
        raise DatabaseError("the database went away")

    monkeypatch.setattr(audit, "_write_waiting", database_down)
    client.raise_request_exception = False
    response = client.get("/account/data/")
    assert response.status_code == 500
    assert b"Ada Lovelace" not in response.content
