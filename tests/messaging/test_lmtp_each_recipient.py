"""Issue 30, items 5 and 7: LMTP answers each recipient (RFC 2033). One delivery to a
mailbox and to support@ is handled for each; a transaction takes a bounded number of
recipients; a customer's mailbox has a quota, answered 452 (full for now) or 552 (the
message never fits)."""

import smtplib

import pytest
from factories import ADA, GRACE, SYSTEM, address, eml, letter, queued_mail
from tests_paths import use_profile

from hippocratic.communications import mailbox
from hippocratic.messaging import inbound
from hippocratic.requests import ledger
from hippocratic.requests.models import Request

pytestmark = pytest.mark.django_db(transaction=True)  # the server writes from its thread


def deliver(server, sender: str, recipients: list[str], message: bytes):
    """One LMTP transaction: each RCPT's answer, then one DATA answer per recipient
    accepted (smtplib reads only the first)."""
    with smtplib.LMTP(server.host, server.port, timeout=10) as lmtp:
        lmtp.ehlo_or_helo_if_needed()
        lmtp.mail(sender)
        rcpt = [lmtp.rcpt(r) for r in recipients]
        accepted = sum(1 for code, _ in rcpt if code == 250)
        answers = [lmtp.data(message)]
        answers += [lmtp.getreply() for _ in range(accepted - 1)]
        return [code for code, _ in rcpt], [(code, text.decode()) for code, text in answers]


def lines(char: str, n: int) -> str:
    return (char * 70 + "\r\n") * n


def test_one_delivery_to_a_mailbox_and_support_is_handled_for_each(signed_up, lmtp_server):
    """Item 7: before, both got 250 and only the mailbox's copy was kept."""
    with use_profile("japoon"):  # mailboxes, and a support address
        _, me = signed_up("ada", ADA)
        to = [address("ada"), "support@japoon.example", address("nobody")]
        message = eml("Hello", "someone@else.example", to=", ".join(to))
        rcpt, answers = deliver(lmtp_server, "someone@else.example", to, message)
        assert rcpt == [250, 250, 250]
        assert [code for code, _ in answers] == [250, 250, 550]
        assert "mailbox" in answers[0][1] and "support" in answers[1][1]
        assert "no such mailbox" in answers[2][1]
        assert len(mailbox.page(me)) == 1
        assert queued_mail() == 1  # support's request
        inbound.act_on_queued()
        kinds = ledger.requests_for(SYSTEM).values_list("kind", flat=True)
        assert list(kinds) == [Request.Kind.SUPPORT]
    with use_profile("ducallier"):  # support@ and unsubscribe@ in one delivery
        to = ["support@ducallier.com", "unsubscribe@ducallier.com"]
        message = eml("Remove from mailing list", "someone@else.example", to=", ".join(to))
        _, answers = deliver(lmtp_server, "someone@else.example", to, message)
        assert [code for code, _ in answers] == [250, 250]
        assert "support" in answers[0][1] and "unsubscribe" in answers[1][1]
        inbound.act_on_queued()
        kinds = ledger.requests_for(SYSTEM).values_list("kind", flat=True)
        assert sorted(kinds) == [Request.Kind.SUPPORT, Request.Kind.SUPPORT,
                                 Request.Kind.UNSUBSCRIBE]  # fmt: skip


def test_a_transaction_takes_at_most_max_recipients(signed_up, lmtp_server, monkeypatch):
    """Item 5: before, one 4 MB message went to 300 mailboxes in one transaction."""
    monkeypatch.setattr(inbound, "MAX_RECIPIENTS", 3)
    with use_profile("isp"):
        signed_up("ada", ADA)
        to = [address("ada")] * 5
        rcpt, answers = deliver(lmtp_server, "friend@friend.example", to, letter(address()))
        assert rcpt == [250, 250, 250, 452, 452]
        assert [code for code, _ in answers] == [250, 250, 250]


def test_a_mailbox_over_its_quota_is_answered_452_and_a_message_too_big_552(
    signed_up, lmtp_server, settings
):
    """Item 5: a per-customer quota, with LMTP's codes; the other mailbox still gets it,
    and a retry of a message already kept is not refused."""
    settings.HIPPOCRATIC_MAILBOX_QUOTA = 3000
    with use_profile("isp"):
        _, ada = signed_up("ada", ADA)
        _, grace = signed_up("grace", GRACE)
        first = letter(address("ada"), body=lines("x", 28), message_id="<q1@friend.example>")
        second = letter(address("ada"), body=lines("y", 28), message_id="<q2@friend.example>")
        _, answers = deliver(lmtp_server, "f@friend.example", [address("ada")], first)
        assert answers[0][0] == 250, answers
        to = [address("ada"), address("grace")]
        _, answers = deliver(lmtp_server, "f@friend.example", to, second)
        assert [code for code, _ in answers] == [452, 250]
        assert "4.2.2" in answers[0][1] and "mailbox is full" in answers[0][1]
        _, answers = deliver(lmtp_server, "f@friend.example", [address("ada")], first)
        assert answers[0][0] == 250  # the MTA's retry of what is kept
        huge = letter(address("grace"), body=lines("z", 56), message_id="<q3@friend.example>")
        _, answers = deliver(lmtp_server, "f@friend.example", [address("grace")], huge)
        assert answers[0][0] == 552 and "5.2.2" in answers[0][1]
        assert len(mailbox.page(ada)) == 1 and len(mailbox.page(grace)) == 1
