"""Sending marketing mail (MSG-2, MSG-5): only to list members who have not opted out,
each message with its own one-click unsubscribe (POST only); a server that defers gets
the message again later, and none twice."""

import pytest
from django.core import mail
from django.test import Client
from factories import ADA, GRACE, LIN, send, three_customers
from tests_paths import making, use_profile

from hippocratic.enforcement.models import OptOut
from hippocratic.messaging import campaigns, sending
from hippocratic.messaging.models import Campaign, Delivery
from hippocratic.messaging.tasks import send_campaign
from hippocratic.purposes import Purpose

pytestmark = pytest.mark.django_db


@pytest.mark.promise("MSG-2", "MSG-5")
def test_a_newsletter_reaches_list_members_who_have_not_opted_out(signed_up):
    with use_profile("ducallier"):
        people = three_customers(signed_up)
        for client, _ in people:
            client.post("/mail/list/", {"join": "1"})
        (_, ada), (grace_client, _), (_, lin) = people
        grace_client.post("/mail/list/", {"join": "0"})  # Grace leaves from her account
        campaign = send(Campaign.Kind.NEWSLETTER)
        assert sorted(m.to[0] for m in mail.outbox) == [ADA["email"], LIN["email"]]
        tokens = set()
        for message in mail.outbox:
            assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            link, mailto = message.extra_headers["List-Unsubscribe"].split(", ")
            assert (
                mailto
                == "<mailto:unsubscribe@ducallier.com?subject=Remove%20From%20Mailing%20List>"
            )
            assert link.startswith("<http") and link.strip("<>") in message.body
            tokens.add(link)
            assert message.body.startswith("Hello ")
        assert len(tokens) == 2  # one per recipient
        with pytest.raises(
            campaigns.CampaignRefused, match=r"\(name\) may not be used"
        ):  # not for marketing
            campaigns.template_fields(Campaign(kind="newsletter", subject="Hi {{ customer.name }}",
                                               body=""))  # fmt: skip
        sent = Delivery.objects.for_purpose(campaigns.SENDER, Purpose.MARKETING_EMAIL)
        assert sent.filter(campaign=campaign, status="sent").count() == 2
        # The one-click link: a GET (a link scanner) changes nothing; a POST opts out.
        path = mail.outbox[0].extra_headers["List-Unsubscribe"].split(">")[0].split("8000")[1]
        who = sending.customer_of_token(path.rstrip("/").rsplit("/", 1)[1])
        assert Client().get(path).status_code == 200
        assert not OptOut.objects.filter(subject_id=who).exists()
        assert Client().post(path).status_code == 200  # no CSRF token: mail providers post
        assert OptOut.objects.filter(subject_id=who, use=Purpose.MARKETING_EMAIL).exists()
        send(Campaign.Kind.NEWSLETTER)
        assert len(mail.outbox) == 1  # the other member only
        assert Client().post("/mail/unsubscribe/forged/").status_code == 404
        assert {ada, lin} >= {who}


@pytest.mark.promise("MSG-5")
@pytest.mark.parametrize("profile", making("MSG-5"), indirect=True)
def test_every_marketing_message_carries_a_one_click_unsubscribe(signed_up, profile):
    people = three_customers(signed_up)
    for client, _ in people:
        client.post("/mail/list/", {"join": "1"})
    kind = next(k for k in (Campaign.Kind.NEWSLETTER, Campaign.Kind.ANNOUNCEMENT)
                if k in campaigns.kinds_available())  # fmt: skip
    send(kind, "Something new from {{ provider }}.")
    assert mail.outbox
    for message in mail.outbox:
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = message.extra_headers["List-Unsubscribe"].split(",")[0].strip("<>")
        assert link in message.body
    link = mail.outbox[0].extra_headers["List-Unsubscribe"].split(",")[0].strip("<>")
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    who = sending.customer_of_token(path.rstrip("/").rsplit("/", 1)[1])
    assert Client().post(path).status_code == 200  # one click, no login
    assert OptOut.objects.filter(subject_id=who, use=Purpose.MARKETING_EMAIL).exists()
    send(kind, "And more.")
    assert len(mail.outbox) == len(people) - 1  # not to the one who left


@pytest.mark.promise("MSG-2")
def test_a_mail_server_that_defers_gets_the_message_again_later_and_none_twice(
    signed_up, monkeypatch
):
    import smtplib

    class Flaky:
        """A mail server that answers 451 to the first message it is given."""

        def __init__(self):
            self.sent, self.refused = [], 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_messages(self, messages):
            if not self.refused:
                self.refused += 1
                raise smtplib.SMTPResponseException(451, b"4.3.2 try later")
            self.sent.extend(m.to[0] for m in messages)
            return len(messages)

    server = Flaky()
    monkeypatch.setattr(sending, "mailers", type("M", (), {"default": server})())
    with use_profile("ducallier"):
        for client, _ in three_customers(signed_up):
            client.post("/mail/list/", {"join": "1"})
        campaign = Campaign.objects.create(kind="newsletter", subject="Hi", body="News")
        first = send_campaign.call(campaign.pk)
        assert (first["sent"], first["deferred"]) == (2, 1)
        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.SENDING  # not done while one waits
        again = send_campaign.call(campaign.pk)  # the retry the task queued
        assert (again["sent"], again["deferred"]) == (1, 0)
        assert sorted(server.sent) == sorted([ADA["email"], GRACE["email"], LIN["email"]])
        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.SENT
        assert send_campaign.call(campaign.pk)["sent"] == 0  # nothing goes twice
