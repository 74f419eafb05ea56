"""Issue 30, item 6: a preservation hold stops every deletion of the data it names, the
customer's own erasure included: they are told the request waits on a legal hold, and
it is done when the hold ends (data, mailbox key and messages kept until then)."""

import pytest
from factories import GRACE, staff_user
from tests_paths import use_profile

from hippocratic.accounts import own_data
from hippocratic.accounts.models import Customer
from hippocratic.disclosure import services
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.decided import decided_elsewhere
from hippocratic.requests.models import Request

pytestmark = pytest.mark.django_db


def exists(customer_id: int) -> bool:
    with decided_elsewhere():
        return Customer.internal.filter(pk=customer_id, status="active").exists()


def waiting_erasures() -> list[tuple[str, str]]:
    return list(Request.objects.for_purpose(Actor.system("t"), "essential.service")
                .filter(kind=Request.Kind.DELETION).values_list("status", "outcome"))  # fmt: skip


def test_a_held_customers_erasure_waits_for_the_hold_and_is_done_at_its_end(signed_up):
    with use_profile("japoon"):
        client, ada = signed_up()
        _, grace = signed_up("grace", GRACE)
        lex = staff_user("staff.legal", "lex")
        held = services.hold(customer_ids=[ada], reference="Preservation 9", by=lex)
        with pytest.raises(own_data.ErasureHeld):
            own_data.erase(ada, by=Actor.for_customer(ada))
        for _ in range(3):  # asking again makes no second request
            page = client.post("/account/erase/", {"confirm": "ERASE"})
            assert page.status_code == 200
            assert "waits on a legal hold" in page.content.decode()
        assert exists(ada)
        assert waiting_erasures() == [("open", "waits on a legal hold: done when the hold ends")]
        assert client.get("/account/").status_code == 200  # still signed in, nothing gone
        services.release(held.pk, by=lex)
        assert not exists(ada) and exists(grace)
        assert ("done", "erased when the legal hold ended; records the law requires are kept") in (
            waiting_erasures()
        )
        assert ("open", "waits on a legal hold: done when the hold ends") not in waiting_erasures()


def test_a_customer_under_two_holds_waits_for_both(signed_up):
    with use_profile("japoon"):
        client, ada = signed_up()
        lex = staff_user("staff.legal", "lex")
        first = services.hold(customer_ids=[ada], reference="P 1", by=lex)
        second = services.hold(customer_ids=[ada], reference="P 2", by=lex)
        client.post("/account/erase/", {"confirm": "ERASE"})
        services.release(first.pk, by=lex)
        assert exists(ada)
        services.release(second.pk, by=lex)
        assert not exists(ada)
