"""The mailing list (MSG-2, MSG-5): joining keeps when, how and the words agreed to;
someone who is not a customer joins by double opt-in where the policy has a list for
prospects, and leaves in one click."""

import pytest
from django.core import mail
from django.test import Client
from factories import ADA, GRACE, SYSTEM, send
from tests_paths import use_profile

from hippocratic.enforcement.actors import Actor
from hippocratic.messaging import services
from hippocratic.messaging.models import Campaign, ListMembership
from hippocratic.purposes import Purpose

pytestmark = pytest.mark.django_db


@pytest.mark.promise("MSG-2")
def test_joining_keeps_when_how_and_the_words_agreed_to(signed_up):
    with use_profile("ducallier"):
        client, me = signed_up()
        assert "Join the mailing list" in client.get("/account/").content.decode()
        client.post("/mail/list/", {"join": "1"})
        kept = ListMembership.objects.for_purpose(Actor.for_customer(me), "essential.service")
        row = kept.get()
        assert row.source == "account page" and "newsletter" in row.consent_text
        assert len(row.policy_version) == 64
    with use_profile("japoon"):  # no mailing list in this policy
        client, _ = signed_up("grace", GRACE)
        assert client.post("/mail/list/", {"join": "1"}).status_code == 404


@pytest.mark.promise("MSG-2", "MSG-5")
def test_someone_who_is_not_a_customer_joins_by_double_opt_in_and_leaves_in_one_click(
    signed_up,
):
    import datetime as dt
    import re

    from hippocratic.accounts.models import Prospect
    from hippocratic.messaging.models import ProspectMembership
    from hippocratic.messaging.tasks import send_join_confirmation

    def memberships():
        return ProspectMembership.objects.for_purpose(SYSTEM, Purpose.MARKETING_EMAIL)

    with use_profile("ducallier"):
        client, _ = signed_up()
        client.post("/mail/list/", {"join": "1"})
        visitor = Client()
        asked = visitor.post("/mail/join/", {"name": "Mary Somerville",
                                             "email": "mary@somerville.example"})  # fmt: skip
        assert "Check your mail" in asked.content.decode()
        (pending,) = memberships().values("pk", "confirmed_at", "consent_text")
        assert pending["confirmed_at"] is None and "promotions" in pending["consent_text"]
        visitor.post("/mail/join/", {"name": "Mary", "email": "mary@somerville.example"})
        assert memberships().count() == 1  # asked twice within the hour: one request
        send(Campaign.Kind.NEWSLETTER)
        assert [m.to for m in mail.outbox] == [[ADA["email"]]]  # not before she confirms
        mail.outbox.clear()
        send_join_confirmation.call(pending["pk"])
        (confirmation,) = mail.outbox
        link = re.search(r"https?://\S+/mail/join/\S+/", confirmation.body).group(0)
        path = "/" + link.split("://", 1)[1].split("/", 1)[1]
        assert visitor.get(path).status_code == 200  # a link scanner's GET confirms nothing
        assert memberships().get().confirmed_at is None
        assert "on the list" in visitor.post(path).content.decode()
        send(Campaign.Kind.NEWSLETTER)
        reached = sorted(m.to[0] for m in mail.outbox)
        assert reached == sorted([ADA["email"], "mary@somerville.example"])
        to_mary = next(m for m in mail.outbox if m.to == ["mary@somerville.example"])
        unsubscribe = to_mary.extra_headers["List-Unsubscribe"].split(", ")[0].strip("<>")
        assert to_mary.extra_headers["Reply-To"].startswith("reply+p")
        Client().post("/" + unsubscribe.split("://", 1)[1].split("/", 1)[1])
        assert not memberships().exists()
        send(Campaign.Kind.NEWSLETTER)
        assert [m.to for m in mail.outbox] == [[ADA["email"]]]  # she left in one click
        # An address nobody confirms is forgotten after a week, with its prospect row.
        Client().post("/mail/join/", {"name": "Nobody", "email": "nobody@else.example"})
        later = timezone_now() + dt.timedelta(days=8)
        assert services.forget_unconfirmed(later) == 1
        gone = Prospect.objects.for_purpose(SYSTEM, Purpose.MARKETING_EMAIL)
        assert not gone.filter(email="nobody@else.example").exists()


def timezone_now():
    from django.utils import timezone

    return timezone.now()


@pytest.mark.promise("MSG-2")
@pytest.mark.parametrize("profile", ["dracon", "isp", "japoon", "quality"], indirect=True)
def test_only_a_list_for_prospects_takes_people_who_are_not_customers(profile):
    assert Client().get("/mail/join/").status_code == 404
