"""Mail that comes in (MSG-3, MSG-4, ACC-8): to the unsubscribe address it removes the
sender, a reply to a marketing message opts out, other mail waits for staff; queued
mail keeps no text and is acted on once, from when it came; an erased customer's
queued mail leaves with them."""

import pytest
from django.core import mail
from django.db import connection
from factories import ADA, LIN, SYSTEM, eml, queued_mail, send, three_customers
from tests_paths import use_profile

from hippocratic.accounts import own_data
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.models import OptOut
from hippocratic.messaging import inbound, services
from hippocratic.messaging.models import Campaign
from hippocratic.purposes import Purpose
from hippocratic.requests import ledger
from hippocratic.requests.models import Request

pytestmark = pytest.mark.django_db


@pytest.mark.promise("MSG-3")
@pytest.mark.parametrize("subject", [
    "RE: remove from mailing list", "Remove From Mailing List", "Fwd: Re:  REMOVE   FROM "
    "mailing list", "\u201cRemove From Mailing List\u201d",
    "=?utf-8?q?Remove_From_Mailing_List?=",
])  # fmt: skip
def test_mail_to_the_unsubscribe_address_removes_the_sender(
    subject, signed_up, django_capture_on_commit_callbacks
):
    with use_profile("ducallier"):
        client, me = signed_up()
        client.post("/mail/list/", {"join": "1"})
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            got = inbound.receive(eml(subject, proven=True), ["unsubscribe@ducallier.com"])
        assert (got.kind, got.done) == ("unsubscribe", True)
        assert OptOut.objects.filter(subject_id=me, use=Purpose.MARKETING_EMAIL).exists()
        assert not services.is_member(me)
        request = Request.objects.for_purpose(SYSTEM, ledger.purpose()).get()
        assert (request.due_at - request.created_at).days == 14  # the policy's deadline
        assert request.done_at is not None and request.customer_id == me
        assert (request.status, request.outcome) == ("done", "left the mailing list")
        assert request.audit_entries  # the work's audit entries are named on the request
        assert [m.to for m in mail.outbox] == [[ADA["email"]]]  # told it is done
        # The MTA delivers the same message again: still one request.
        again = inbound.receive(eml(subject, proven=True), ["unsubscribe@ducallier.com"])
        assert again.request_id == request.pk
        assert Request.objects.for_purpose(SYSTEM, ledger.purpose()).count() == 1


@pytest.mark.promise("MSG-3")
def test_other_subjects_change_nothing_and_strangers_wait_for_staff(signed_up):
    with use_profile("ducallier"):
        client, me = signed_up()
        client.post("/mail/list/", {"join": "1"})
        assert inbound.receive(eml("Hello"), []).kind == "ignored"  # To: header used
        assert inbound.receive(eml("=?x-bogus?q?Remove?="), []).kind == "ignored"  # kept as is
        assert services.is_member(me)
        got = inbound.receive(eml("remove from mailing list", "someone@else.example"), [])
        assert (got.kind, got.done) == ("unsubscribe", False)  # in the staff queue
        waiting = Request.objects.for_purpose(SYSTEM, ledger.purpose()).get()
        assert waiting.done_at is None and waiting.customer_id is None
        for bad, reason in [
            (b"\x00\x01binary", "binary"), (b"Subject: x\r\n\r\nno sender", "sender"),
            (b"x" * (inbound.MAX_BYTES + 1), "larger"),
        ]:  # fmt: skip
            with pytest.raises(inbound.MailRejected, match=reason):
                inbound.receive(bad, ["unsubscribe@ducallier.com"])


@pytest.mark.promise("MSG-3")
def test_queued_mail_keeps_no_text_and_is_acted_on_once_from_when_it_came(
    signed_up, django_capture_on_commit_callbacks
):
    """The LMTP server's path: accept() keeps what the request needs (a removal's text
    never; a mail to support's, sealed) and answers; the worker acts later, and the
    deadline runs from the message's arrival."""
    from freezegun import freeze_time

    from hippocratic.enforcement.gateway import decided_elsewhere
    from hippocratic.messaging.models import InboundMail

    with use_profile("ducallier"):
        client, me = signed_up()
        client.post("/mail/list/", {"join": "1"})
        with freeze_time("2026-12-01 09:00"):
            removal = eml("Remove from mailing list", proven=True)
            got = inbound.accept(removal, ["unsubscribe@ducallier.com"])
            again = inbound.accept(removal, ["unsubscribe@ducallier.com"])
            stranger = inbound.accept(eml("Hello", "x@y.example"), ["support@ducallier.com"])
            assert inbound.accept(eml("Hello"), ["unsubscribe@ducallier.com"]).kind == "ignored"
        assert (got.kind, got.done, got.queued, again.queued) == ("unsubscribe", False, True, True)
        assert stranger.kind == "support"
        assert services.is_member(me)  # nothing acted on yet
        with decided_elsewhere():
            rows = list(InboundMail.internal.values())
        assert len(rows) == 2  # the retry is queued once; the ignored one not at all
        # The removal keeps no text; the mail to support keeps its own, sealed at rest.
        texts = {row["kind"]: (row["subject"], row["text"]) for row in rows}
        assert texts == {"unsubscribe": ("", ""), "support": ("Hello", "Please take me off.")}
        with decided_elsewhere(), connection.cursor() as cursor:
            cursor.execute("SELECT subject, text FROM messaging_inboundmail")
            stored = str(cursor.fetchall())
        assert "Please take me off" not in stored and "Hello" not in stored
        with freeze_time("2026-12-03 09:00"), django_capture_on_commit_callbacks(execute=True):
            assert inbound.act_on_queued() == {"done": 2, "failed": 0}
        assert not services.is_member(me)
        left = Request.objects.for_purpose(SYSTEM, ledger.purpose()).get(customer_id=me)
        assert left.created_at.isoformat().startswith("2026-12-01T09:00")
        assert left.due_at.isoformat().startswith("2026-12-15T09:00")  # 14 days from arrival
        assert inbound.act_on_queued() == {"done": 0, "failed": 0}  # nothing twice
        assert Request.objects.for_purpose(SYSTEM, ledger.purpose()).count() == 2


@pytest.mark.promise("MSG-3")
def test_queued_mail_that_cannot_be_acted_on_stays_with_its_reason(signed_up, monkeypatch):
    from hippocratic.enforcement.gateway import decided_elsewhere
    from hippocratic.jobs.schedule import JOBS
    from hippocratic.messaging.models import InboundMail

    with use_profile("ducallier"):
        client, me = signed_up()
        client.post("/mail/list/", {"join": "1"})
        inbound.accept(eml("Remove from mailing list", proven=True), ["unsubscribe@ducallier.com"])
        real = inbound.act

        def broken(incoming):
            real(incoming)  # its writes are rolled back with the failure
            raise RuntimeError("a fault of ours")

        monkeypatch.setattr(inbound, "act", broken)
        assert inbound.act_on_queued() == {"done": 0, "failed": 1}
        with decided_elsewhere():
            row = InboundMail.internal.values("attempts", "last_error").get()
        assert row == {"attempts": 1, "last_error": "RuntimeError: a fault of ours"}
        assert services.is_member(me) and not Request.objects.for_purpose(
            SYSTEM, ledger.purpose()).exists()  # fmt: skip
        monkeypatch.setattr(inbound, "act", real)
        # The scheduler's minutely job takes what is left.
        assert JOBS["messaging.inbound"].every.total_seconds() == 60
        from hippocratic.messaging.tasks import act_on_inbound_mail

        assert act_on_inbound_mail.call() == {"done": 1, "failed": 0}
        assert not services.is_member(me) and queued_mail() == 0


@pytest.mark.promise("MSG-4")
def test_replying_to_a_marketing_message_opts_out_and_support_mail_is_queued(signed_up):
    with use_profile("ducallier"):
        people = three_customers(signed_up)
        for client, _ in people:
            client.post("/mail/list/", {"join": "1"})
        send(Campaign.Kind.NEWSLETTER)
        to_lin = next(m for m in mail.outbox if m.to == [LIN["email"]])
        reply_to = to_lin.extra_headers["Reply-To"]
        assert reply_to.startswith("reply+") and reply_to.endswith("@ducallier.com")
        got = inbound.receive(eml("Re: News", LIN["email"], reply_to), [reply_to])
        assert (got.kind, got.done) == ("reply", True)
        lin = people[2][1]
        assert OptOut.objects.filter(subject_id=lin, use=Purpose.MARKETING_EMAIL).exists()
        forged = reply_to.replace(reply_to.split("-")[-1][:4], "0000")
        assert inbound.receive(eml("Re: x", to=forged), [forged]).kind == "ignored"
        support = inbound.receive(eml("Please stop the newsletter", to="support@ducallier.com"),
                                  ["support@ducallier.com"])  # fmt: skip
        assert (support.kind, support.done) == ("support", False)  # staff act on it


@pytest.mark.promise("MSG-4")
def test_a_prospect_who_replies_to_a_newsletter_leaves_the_list(signed_up):
    from hippocratic.messaging.models import ProspectMembership

    with use_profile("ducallier"):
        membership = services.invite("Mary Somerville", "mary@somerville.example")
        services.confirm(membership)
        send(Campaign.Kind.NEWSLETTER)
        (message,) = mail.outbox
        reply_to = message.extra_headers["Reply-To"]
        got = inbound.receive(eml("Re: News", "mary@somerville.example", reply_to), [reply_to])
        assert (got.kind, got.done) == ("reply", True)
        assert not ProspectMembership.objects.for_purpose(SYSTEM, Purpose.MARKETING_EMAIL).exists()
        request = Request.objects.for_purpose(SYSTEM, ledger.purpose()).get()
        assert (request.requester, request.channel, request.status) == ("prospect", "reply", "done")
        send(Campaign.Kind.NEWSLETTER)
        assert mail.outbox == []


@pytest.mark.promise("ACC-8")
def test_mail_an_erased_customer_sent_leaves_the_queue_with_them(signed_up):
    """An unsubscribe or a reply still waiting for the worker is theirs: erased with
    them, it never becomes a staff request naming their address afterwards."""
    with use_profile("ducallier"):
        client, me = signed_up()
        client.post("/mail/list/", {"join": "1"})
        stranger = eml("Hello", "x@y.example", "support@ducallier.com")
        inbound.accept(eml("Remove from mailing list", proven=True), ["unsubscribe@ducallier.com"])
        inbound.accept(eml("hi", ADA["email"].upper(), "support@ducallier.com"),
                       ["support@ducallier.com"])  # fmt: skip
        inbound.accept(stranger, ["support@ducallier.com"])
        reply = inbound.reply_address(me, 1)
        inbound.accept(eml("Stop", "someone@else.example", reply), [reply])
        assert queued_mail() == 4
        own_data.erase(me, by=Actor.for_customer(me))
        assert queued_mail() == 1  # the stranger's, and only theirs
        assert inbound.act_on_queued() == {"done": 1, "failed": 0}
        queue = Request.objects.for_purpose(SYSTEM, ledger.purpose())
        assert not queue.filter(sender__iexact=ADA["email"]).exists()
        assert queue.filter(sender="x@y.example").exists()
