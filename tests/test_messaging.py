"""Mail to customers (MSG-1 … MSG-6): bulletins reach everyone, marketing only list
members who have not opted out, every marketing message can be left in one click (POST
only), by mail to the unsubscribe address or by replying, and no campaign can name
billing data."""

import pytest
from accounts.conftest import ADA, GRACE, SYSTEM
from billing.helpers import card_form
from django.core import mail
from django.test import Client
from tests_paths import making, use_profile

from hippocratic.accounts import own_data
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.models import OptOut
from hippocratic.messaging import campaigns, inbound, sending, services
from hippocratic.messaging.models import (
    Campaign,
    Delivery,
    ListMembership,
    Suppression,
)
from hippocratic.messaging.tasks import send_campaign
from hippocratic.purposes import Purpose
from hippocratic.requests import ledger
from hippocratic.requests.models import Request

pytestmark = pytest.mark.django_db
LIN = {**ADA, "name": "Lin Wu", "email": "lin@wu.example"}


def three_customers(signed_up) -> list[tuple[Client, int]]:
    return [signed_up(user, person) for user, person in
            [("ada", ADA), ("grace", GRACE), ("lin", LIN)]]  # fmt: skip


def send(kind, body="Hello from {{ provider }}", subject="News from {{ provider }}"):
    campaign = Campaign.objects.create(kind=kind, subject=subject, body=body)
    mail.outbox.clear()
    send_campaign.call(campaign.pk)
    return campaign


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
        with pytest.raises(campaigns.CampaignRefused, match=r"user\.name"):  # not for marketing
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


@pytest.mark.promise("MSG-1")
def test_a_bulletin_reaches_every_customer_whatever_their_choices(signed_up):
    with use_profile("japoon"):
        people = three_customers(signed_up)
        OptOut.objects.create(
            subject="customer", subject_id=people[1][1], use=Purpose.MARKETING_EMAIL
        )
        send(Campaign.Kind.BULLETIN, "Maintenance on Sunday night.", "Planned maintenance")
        assert sorted(m.to[0] for m in mail.outbox) == sorted(p["email"] for p in (ADA, GRACE, LIN))
        assert all("List-Unsubscribe" not in m.extra_headers for m in mail.outbox)
        page = people[1][0].get("/account/").content.decode()
        assert "Planned maintenance" in page and "Maintenance on Sunday night." in page
    with use_profile("dracon"):  # no e-mail addresses: the bulletin is on the account page
        client, _ = signed_up("dora", {"name": "Dora", "address": "1 Road", "phone": "1"})
        send(Campaign.Kind.BULLETIN, "Dracon's lines are down on Monday.", "Line works")
        assert mail.outbox == []
        assert "Line works" in client.get("/account/").content.decode()
        assert campaigns.kinds_available() == [Campaign.Kind.BULLETIN]  # no marketing at all


@pytest.mark.promise("MSG-6")
@pytest.mark.parametrize("name", ["japoon", "quality", "ducallier"])
def test_no_campaign_can_name_billing_data(name, signed_up):
    with use_profile(name):
        client, _ = signed_up()
        client.post("/account/billing/card/", card_form())
        for kind in campaigns.kinds_available():
            for body in ("Your card ends {{ card.last4 }}", "You paid {{ invoice.total }}"):
                campaign = Campaign(kind=kind, subject="Hi", body=body)
                with pytest.raises(campaigns.CampaignRefused) as refused:
                    campaigns.template_fields(campaign)
                assert "may not be used" in str(refused.value), refused.value
        if Campaign.Kind.ANNOUNCEMENT in campaigns.kinds_available():
            announcement = Campaign(kind=Campaign.Kind.ANNOUNCEMENT, subject="New: backups",
                                    body="Dear {{ customer.name }}")  # fmt: skip
            with pytest.raises(campaigns.CampaignRefused, match="may n"):  # only the address
                campaigns.template_fields(announcement)
            send(Campaign.Kind.ANNOUNCEMENT, "Backups are here. Write to {{ customer.email }}.")
            assert [m.to[0] for m in mail.outbox] == [ADA["email"]]
            assert "4242" not in mail.outbox[0].body


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


def eml(subject: str, sender: str = ADA["email"], to: str = "unsubscribe@ducallier.com",
        message_id: str | None = None) -> bytes:  # fmt: skip
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = f"Ada <{sender}>", to, subject
    message["Message-ID"] = message_id or f"<{abs(hash((subject, sender, to)))}@mail.example>"
    message.set_content("Please take me off.")
    return bytes(message)


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
            got = inbound.receive(eml(subject), ["unsubscribe@ducallier.com"])
        assert (got.kind, got.done) == ("unsubscribe", True)
        assert OptOut.objects.filter(subject_id=me, use=Purpose.MARKETING_EMAIL).exists()
        assert not services.is_member(me)
        request = Request.objects.for_purpose(SYSTEM, ledger.purpose()).get()
        assert (request.due_at - request.created_at).days == 14  # the policy's deadline
        assert request.done_at is not None and request.customer_id == me
        assert (request.status, request.outcome) == ("done", "left the mailing list")
        assert request.audit_seqs  # the work's audit entries are named on the request
        assert [m.to for m in mail.outbox] == [[ADA["email"]]]  # told it is done
        # The MTA delivers the same message again: still one request.
        assert inbound.receive(eml(subject), ["unsubscribe@ducallier.com"]).request_id == (
            request.pk
        )
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
    """The LMTP server's path: accept() keeps what the request needs (not the text) and
    answers; the worker acts later, and the deadline runs from the message's arrival."""
    from freezegun import freeze_time

    from hippocratic.enforcement.gateway import decided_elsewhere
    from hippocratic.messaging.models import InboundMail

    with use_profile("ducallier"):
        client, me = signed_up()
        client.post("/mail/list/", {"join": "1"})
        with freeze_time("2026-12-01 09:00"):
            got = inbound.accept(eml("Remove from mailing list"), ["unsubscribe@ducallier.com"])
            again = inbound.accept(eml("Remove from mailing list"), ["unsubscribe@ducallier.com"])
            stranger = inbound.accept(eml("Hello", "x@y.example"), ["support@ducallier.com"])
            assert inbound.accept(eml("Hello"), ["unsubscribe@ducallier.com"]).kind == "ignored"
        assert (got.kind, got.done, got.queued, again.queued) == ("unsubscribe", False, True, True)
        assert stranger.kind == "support"
        assert services.is_member(me)  # nothing acted on yet
        with decided_elsewhere():
            rows = list(InboundMail.internal.values())
        assert len(rows) == 2  # the retry is queued once; the ignored one not at all
        assert "Please take me off" not in str(rows)  # never the text
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
        inbound.accept(eml("Remove from mailing list"), ["unsubscribe@ducallier.com"])
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


@pytest.mark.promise("MSG-3")
@pytest.mark.django_db(transaction=True)  # the LMTP server writes from its own thread
def test_the_lmtp_server_asks_the_worker_to_act_on_what_it_queued(signed_up, settings):
    import smtplib
    import socket
    import time

    from hippocratic.messaging.lmtp import ANNOUNCE_SECONDS, serve

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with use_profile("ducallier"):
        client, me = signed_up()
        client.post("/mail/list/", {"join": "1"})
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = serve("127.0.0.1", port)
        try:
            with smtplib.LMTP("127.0.0.1", port) as lmtp:
                lmtp.sendmail(ADA["email"], ["unsubscribe@ducallier.com"],
                              eml("Remove from mailing list"))  # fmt: skip
            time.sleep(ANNOUNCE_SECONDS * 4)  # the server's timer, then the task
            assert not services.is_member(me)  # acted on, while the server runs
            assert queued_mail() == 0
        finally:
            controller.stop()


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


@pytest.mark.promise("MSG-3")
@pytest.mark.django_db(transaction=True)  # the LMTP server writes from its own thread
def test_the_pipe_and_the_lmtp_server_store_each_message_once(signed_up, capsys):
    import io
    import smtplib
    import socket
    import sys

    from django.core.management import call_command

    from hippocratic.messaging.lmtp import serve

    with use_profile("ducallier"):
        signed_up()
        old = sys.stdin
        sys.stdin = io.TextIOWrapper(io.BytesIO(eml("remove from mailing list")))
        try:
            call_command("mail", "receive")
        finally:
            sys.stdin = old
        assert "stored: unsubscribe (done)" in capsys.readouterr().out
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = serve("127.0.0.1", port)
        try:
            with smtplib.LMTP("127.0.0.1", port) as lmtp:
                for n in range(3):
                    message = eml("Remove from mailing list", f"p{n}@x.example",
                                  message_id=f"<m{n}@x>")  # fmt: skip
                    lmtp.sendmail(f"p{n}@x.example", ["unsubscribe@ducallier.com"], message)
                lmtp.sendmail(
                    "p0@x.example",
                    ["unsubscribe@ducallier.com"],
                    eml("Remove from mailing list", "p0@x.example", message_id="<m0@x>"),
                )
                code, _ = lmtp.docmd("NOOP")
                assert code == 250
                try:
                    lmtp.sendmail("a@x.example", ["unsubscribe@ducallier.com"], b"\x00\x00")
                except smtplib.SMTPDataError as refused:
                    assert refused.smtp_code == 550
        finally:
            controller.stop()
        kept = Request.objects.for_purpose(SYSTEM, ledger.purpose())
        assert kept.count() == 1  # the pipe's; the LMTP server's wait for the worker
        assert queued_mail() == 3  # one sent twice is queued once
        call_command("worker", "--batch", "--no-scheduler")  # the task the server enqueued
        assert kept.count() == 4 and queued_mail() == 0


@pytest.mark.promise("ACC-8")
def test_mail_an_erased_customer_sent_leaves_the_queue_with_them(signed_up):
    """An unsubscribe or a reply still waiting for the worker is theirs: erased with
    them, it never becomes a staff request naming their address afterwards."""
    with use_profile("ducallier"):
        client, me = signed_up()
        client.post("/mail/list/", {"join": "1"})
        stranger = eml("Hello", "x@y.example", "support@ducallier.com")
        inbound.accept(eml("Remove from mailing list"), ["unsubscribe@ducallier.com"])
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


def queued_mail() -> int:
    from hippocratic.enforcement.gateway import decided_elsewhere
    from hippocratic.messaging.models import InboundMail

    with decided_elsewhere():
        return InboundMail.internal.count()


def dsn(to: str, status: str) -> bytes:
    """A delivery status notification (RFC 3464), as an MTA sends one back."""
    return (
        f"From: MAILER-DAEMON@mx.example\r\nTo: {to}\r\nSubject: Undelivered Mail\r\n"
        f"Message-ID: <dsn-{status}-{abs(hash(to))}@mx.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nIt bounced.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; x@y\r\n"
        f"Action: failed\r\nStatus: {status}\r\n--b--\r\n"
    ).encode()


@pytest.mark.promise("MSG-2")
def test_bounces_stop_mail_and_an_erased_address_is_never_mailed_again(signed_up):
    with use_profile("ducallier"):
        people = three_customers(signed_up)
        for client, _ in people:
            client.post("/mail/list/", {"join": "1"})
        send(Campaign.Kind.NEWSLETTER)
        envelope = {m.to[0]: m.from_email for m in mail.outbox}
        assert all(e.startswith("bounce+") for e in envelope.values())
        assert {m.extra_headers["From"] for m in mail.outbox} == {"support@ducallier.com"}
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


def test_the_development_outbox_shows_staff_the_mail_sent(settings, tmp_path, admin_client):
    settings.DEBUG = True
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                                    "OPTIONS": {"file_path": str(tmp_path)}}}  # fmt: skip
    with use_profile("ducallier"):
        from django.core.mail import send_mail

        send_mail("Welcome aboard", "Hello from the demo.", "support@ducallier.com",
                  ["ada@lovelace.example"])  # fmt: skip
        page = admin_client.get("/mail/outbox/").content.decode()
        assert "Welcome aboard" in page and "Hello from the demo." in page
        assert Client().get("/mail/outbox/").status_code == 302  # staff only
        settings.DEBUG = False
        assert admin_client.get("/mail/outbox/").status_code == 404  # development only


@pytest.mark.promise("MSG-3")
@pytest.mark.django_db(transaction=True)
def test_lmtp_loses_nothing_while_the_database_is_locked_for_a_while():
    """1,000 messages over LMTP; for part of the run another process holds the SQLite
    database's write lock, so stores fail and the server answers 451. The "MTA" (this
    test) tries those again later, as Postfix does; every message is stored once."""
    import smtplib
    import socket
    import sqlite3
    import threading
    import time

    from django.db import connection, connections

    from hippocratic.messaging.lmtp import serve

    if connection.vendor != "sqlite":
        pytest.skip("the lock is taken with SQLite's own BEGIN EXCLUSIVE")
    options = connections.settings["default"]["OPTIONS"]
    waited = options.get("timeout")
    options["timeout"] = 1  # the server's connections give up after a second, not 20
    with use_profile("ducallier"):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = serve("127.0.0.1", port)
        locked, release = threading.Event(), threading.Event()

        def hold_the_lock():
            other = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
            other.execute("BEGIN EXCLUSIVE")
            locked.set()
            release.wait(30)
            other.rollback()
            other.close()

        deferred, answers = [], []
        try:
            with smtplib.LMTP("127.0.0.1", port) as lmtp:
                for n in range(1000):
                    if n == 400:
                        threading.Thread(target=hold_the_lock, daemon=True).start()
                        locked.wait(10)
                        threading.Timer(4, release.set).start()
                    message = eml("remove from mailing list", f"p{n}@x.example",
                                  message_id=f"<lmtp-{n}@x>")  # fmt: skip
                    try:
                        lmtp.sendmail(f"p{n}@x.example", ["unsubscribe@ducallier.com"], message)
                        answers.append(250)
                    except smtplib.SMTPDataError as error:
                        answers.append(error.smtp_code)
                        deferred.append((n, message))
                release.set()
                time.sleep(0.5)
                for n, message in deferred:  # the MTA's retry
                    lmtp.sendmail(f"p{n}@x.example", ["unsubscribe@ducallier.com"], message)
        finally:
            release.set()
            controller.stop()
            options["timeout"] = waited
        assert 451 in answers and set(answers) <= {250, 451}
        assert queued_mail() == 1000
        assert inbound.act_on_queued() == {"done": 1000, "failed": 0}
        kept = Request.objects.for_purpose(SYSTEM, ledger.purpose())
        assert kept.count() == 1000
        assert len(set(kept.values_list("message_key", flat=True))) == 1000


@pytest.mark.promise("MSG-3")
@pytest.mark.django_db(transaction=True)
def test_lmtp_loses_nothing_while_postgresql_refuses_every_connection():
    """1,000 messages over LMTP; for part of the run the PostgreSQL database takes no
    connections and the server's own is cut (as when the database stops), so the server
    answers 451; the "MTA" tries those again once it is back; every message is stored
    once."""
    import smtplib
    import socket
    import time

    import psycopg
    from django.db import connection

    from hippocratic.messaging.lmtp import serve

    if connection.vendor != "postgresql":
        pytest.skip("stops the database's connections with PostgreSQL's ALLOW_CONNECTIONS")
    name = connection.settings_dict["NAME"]
    admin_dsn = {k: v for k, v in {
        "host": connection.settings_dict["HOST"], "port": connection.settings_dict["PORT"],
        "user": connection.settings_dict["USER"], "dbname": "postgres",
    }.items() if v}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        mine = cursor.fetchone()[0]

    def database(up: bool) -> None:
        with psycopg.connect(**admin_dsn, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(up).lower()}')
            if not up:  # and cut those it has, but this test's own
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> %s", [name, mine],
                )  # fmt: skip

    with use_profile("ducallier"):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = serve("127.0.0.1", port)
        deferred, answers = [], []
        try:
            with smtplib.LMTP("127.0.0.1", port) as lmtp:
                for n in range(1000):
                    if n == 400:
                        database(up=False)
                    if n == 600:
                        database(up=True)
                    message = eml("remove from mailing list", f"p{n}@x.example",
                                  message_id=f"<pg-{n}@x>")  # fmt: skip
                    try:
                        lmtp.sendmail(f"p{n}@x.example", ["unsubscribe@ducallier.com"], message)
                        answers.append(250)
                    except smtplib.SMTPDataError as error:
                        answers.append(error.smtp_code)
                        deferred.append((n, message))
                time.sleep(0.2)
                for n, message in deferred:  # the MTA's retry
                    lmtp.sendmail(f"p{n}@x.example", ["unsubscribe@ducallier.com"], message)
        finally:
            database(up=True)
            controller.stop()
        assert answers.count(451) >= 150 and set(answers) <= {250, 451}
        assert queued_mail() == 1000
        assert inbound.act_on_queued() == {"done": 1000, "failed": 0}
        kept = Request.objects.for_purpose(SYSTEM, ledger.purpose())
        assert kept.count() == 1000
        assert len(set(kept.values_list("message_key", flat=True))) == 1000


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


@pytest.mark.promise("MSG-2")
def test_a_campaign_over_smtp_reaches_each_member_with_their_own_message(signed_up, settings):
    """The SMTP path itself (messaging.wire.hand_over, each message written while the
    server answers for the one before): a real server on loopback gets each member's
    own message, dot-stuffing undone, and its 4xx and 5xx answers per recipient are
    recorded as deferred and failed."""
    import email as email_package
    import socket

    from aiosmtpd.controller import Controller

    class Server:
        def __init__(self):
            self.got = {}

        async def handle_RCPT(self, server, session, envelope, address, options):
            if address.startswith("grace"):
                return "451 4.3.2 try later"
            if address.startswith("lin"):
                return "550 5.1.1 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            self.got[envelope.rcpt_tos[0]] = (envelope.mail_from, envelope.content)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = Server()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                    "OPTIONS": {"host": "127.0.0.1", "port": port}}}  # fmt: skip
    settings.HIPPOCRATIC_MAIL_RATE = 0
    try:
        with use_profile("ducallier"):
            people = three_customers(signed_up)
            for client, _ in people:
                client.post("/mail/list/", {"join": "1"})
            extra, eve = signed_up("eve", {**ADA, "name": "Eve", "email": "eve@eve.example"})
            extra.post("/mail/list/", {"join": "1"})
            whose = {ADA["email"]: people[0][1], "eve@eve.example": eve}
            body = "Hello.\n.A line that starts with a dot\n.\nThe end."
            campaign = Campaign.objects.create(kind="newsletter", subject="News", body=body)
            counts = send_campaign.call(campaign.pk)
    finally:
        controller.stop()
    assert (counts["sent"], counts["deferred"], counts["failed"]) == (2, 1, 1)
    assert sorted(server.got) == [ADA["email"], "eve@eve.example"]
    links = set()
    for to, (envelope_from, content) in server.got.items():
        message = email_package.message_from_bytes(content)
        assert message["To"] == to and envelope_from.startswith("bounce+")
        text = message.get_payload(decode=True).decode()
        assert text.startswith(body.replace("\n", "\r\n"))  # the dots as written
        link = message["List-Unsubscribe"].split(",")[0].strip("<> ")
        # Each member's own link, not the one written ahead of it for the next.
        assert sending.customer_of_token(link.rstrip("/").rsplit("/", 1)[1]) == whose[to]
        links.add(link)
    assert len(links) == 2
    sent = Delivery.objects.for_purpose(campaigns.SENDER, Purpose.MARKETING_EMAIL)
    assert sorted(sent.filter(campaign=campaign).values_list("status", flat=True)) == [
        "failed", "queued", "sent", "sent"]  # fmt: skip


@pytest.mark.parametrize("subject, body", [
    ("News from {{ provider }}", "Hello, members.\nA second line."),
    ("Nouvelles d'été", "Ünïcödé body, and a long line: " + "x" * 1200),
])  # fmt: skip
def test_the_wire_bytes_say_what_djangos_message_says(subject, body, signed_up):
    """Campaign messages go to an SMTP server as messaging.wire writes them: the same
    headers and body as Django's EmailMessage would send, parsed back."""
    import email as email_package
    import email.policy

    from hippocratic.messaging.wire import wire_bytes

    with use_profile("ducallier"):
        _, me = signed_up()
        campaign = Campaign.objects.create(kind=Campaign.Kind.NEWSLETTER, subject=subject,
                                           body=body)  # fmt: skip
        rendering = sending._Rendering(campaign)
        message = sending._message(rendering, {"pk": me, "email": ADA["email"]})
        message.extra_headers["Date"] = "Fri, 27 Nov 2026 10:00:00 -0000"
        # As a receiving server stores it: line ends as the system's (smtplib sends CRLF).
        stored = wire_bytes(message).replace(b"\r\n", b"\n")
        ours = email_package.message_from_bytes(stored, policy=email.policy.default)
        django = email_package.message_from_bytes(message.message().as_bytes(),
                                                  policy=email.policy.default)  # fmt: skip
        for name in ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe",
                     "List-Unsubscribe-Post", "Reply-To", "Content-Type"):  # fmt: skip
            assert str(ours[name]) == str(django[name]), name
        assert ours.get_content() == django.get_content()
        assert all(len(line) <= 998 for line in wire_bytes(message).split(b"\r\n"))
        message.subject = "Injected\r\nBcc: everyone@example.com"
        with pytest.raises(ValueError, match="line break"):
            wire_bytes(message)


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
@pytest.mark.parametrize("profile", ["dracon", "isp", "japoon", "quality"])
def test_only_a_list_for_prospects_takes_people_who_are_not_customers(profile):
    with use_profile(profile):
        assert Client().get("/mail/join/").status_code == 404


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


@pytest.mark.promise("MSG-1")
@pytest.mark.parametrize("profile", making("MSG-1"))
def test_a_bulletin_reaches_every_customer_on_each_profile(signed_up, profile):
    """Each profile whose page promises bulletins: every customer gets it, opted out of
    marketing or not: by mail where the policy keeps addresses, on the account page
    always; never with an unsubscribe header (it is not marketing)."""
    with use_profile(profile):
        people = three_customers(signed_up)
        OptOut.objects.create(
            subject="customer", subject_id=people[1][1], use=Purpose.MARKETING_EMAIL
        )
        send(Campaign.Kind.BULLETIN, "Maintenance on Sunday night.", "Planned maintenance")
        if campaigns.mails_customers():
            assert sorted(m.to[0] for m in mail.outbox) == sorted(
                p["email"] for p in (ADA, GRACE, LIN)
            )
            assert all("List-Unsubscribe" not in m.extra_headers for m in mail.outbox)
        else:
            assert mail.outbox == []
        for client, _ in people:
            assert "Planned maintenance" in client.get("/account/").content.decode()


@pytest.mark.promise("MSG-5")
@pytest.mark.parametrize("profile", making("MSG-5"))
def test_every_marketing_message_carries_a_one_click_unsubscribe(signed_up, profile):
    with use_profile(profile):
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
