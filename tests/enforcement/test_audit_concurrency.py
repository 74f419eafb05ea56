"""Concurrent writers each see the true predecessor: the chain stays whole."""

import threading

import pytest
from django.db import connection, connections

from hippocratic.enforcement import audit, sequencer
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.audit import Action
from hippocratic.enforcement.models import AuditEntry
from hippocratic.policy.reasons import Reason

WRITERS, EACH = 4, 25


@pytest.mark.promise("SEC-5")
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_the_chain_whole():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("an in-memory SQLite test database serialises threads by table locks")
    errors = []
    start = threading.Barrier(WRITERS)

    def writer(n):
        try:
            start.wait()
            for i in range(EACH):
                audit.append(
                    actor=Actor.system(f"writer:{n}"), action=Action.READ,
                    purpose="essential.service", reason=Reason.ALLOWED, subject="customer",
                    subject_ref=str(i), allowed=True,
                )  # fmt: skip
        except Exception as exc:  # reported below, with the writer that failed
            errors.append((n, exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    sequencer.sequence()
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, WRITERS * EACH + 1)
    )
    assert audit.verify().ok
