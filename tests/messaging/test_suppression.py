"""Suppression (MSG-2): bounces stop mail, and an erased address is never mailed
again; what is kept of it is a hash."""

import pytest
from django.core import mail
from factories import ADA, GRACE, LIN, dsn, send, three_customers
from tests_paths import use_profile

from hippocratic.accounts import own_data
from hippocratic.enforcement.actors import Actor
from hippocratic.messaging import inbound
from hippocratic.messaging.models import Campaign, Suppression

pytestmark = pytest.mark.django_db


@pytest.mark.promise("MSG-2")
def test_bounces_stop_mail_and_an_erased_address_is_never_mailed_again(signed_up):
    with use_profile("ducallier"):
        people = three_customers(signed_up)
        for client, _ in people:
            client.post("/mail/list/", {"join": "1"})
        send(Campaign.Kind.NEWSLETTER)
        envelope = {m.to[0]: m.from_email for m in mail.outbox}
        assert all(e.startswith("bounce+") for e in envelope.values())
        assert {m.extra_headers["From"] for m in mail.outbox} == {
            "The Ducallier Studios <support@ducallier.com>"
        }
        # Grace's address bounces for good; Lin's is full, once (soft).
        grace_bounce, lin_bounce = envelope[GRACE["email"]], envelope[LIN["email"]]
        assert inbound.receive(dsn(grace_bounce, "5.1.1"), [grace_bounce]).done
        assert not inbound.receive(dsn(lin_bounce, "4.2.2"), [lin_bounce]).done
        send(Campaign.Kind.NEWSLETTER)
        assert sorted(m.to[0] for m in mail.outbox) == [ADA["email"], LIN["email"]]
        for _ in range(inbound.SOFT_BOUNCE_LIMIT):  # soft bounces add up to a stop
            inbound.receive(dsn(lin_bounce, "4.2.2"), [lin_bounce])
        send(Campaign.Kind.NEWSLETTER)
        assert [m.to[0] for m in mail.outbox] == [ADA["email"]]
        # Ada is erased; signing up again with the same address, she is never mailed.
        ada = people[0][1]
        own_data.erase(ada, by=Actor.for_customer(ada))  # as /account/erase/ does (ACC-8)
        assert Suppression.objects.count() == 2  # Grace's bounce, Ada's erasure: hashes
        assert ADA["email"] not in str(list(Suppression.objects.values()))
        again, _ = signed_up("ada2", ADA)
        again.post("/mail/list/", {"join": "1"})
        send(Campaign.Kind.NEWSLETTER)
        assert mail.outbox == []
        forged = grace_bounce.replace("bounce+", "bounce+9")
        assert inbound.receive(dsn(forged, "5.1.1"), [forged]).kind == "ignored"
