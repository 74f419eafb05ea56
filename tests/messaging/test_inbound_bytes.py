"""Issue 30, item 8: bytes a database cannot hold (PostgreSQL keeps no NUL in text) in
From:, Message-ID or any header, past the first 64 KiB too, are refused for good (5xx)
or stripped, never answered 451 for ever. Runs on the suite's database: SQLite, and
PostgreSQL with DATABASE_URL=postgres://…"""

import smtplib

import pytest
from factories import ADA, SYSTEM, address, queued_mail
from tests_paths import use_profile

from hippocratic.communications import mailbox
from hippocratic.messaging import inbound
from hippocratic.messaging.inbound import queue
from hippocratic.requests import ledger

PADDING = "X-Padding: " + "a" * 900 + "\r\n"  # 80 of them: the headers pass 64 KiB


def message(to: str, *, sender="Ada <ada@lovelace.example>", message_id="<nul@x.example>",
            extra="", padding=80) -> bytes:  # fmt: skip
    return (
        PADDING * padding + f"From: {sender}\r\nTo: {to}\r\nSubject: Remove from mailing list\r\n"
        f"Message-ID: {message_id}\r\n{extra}\r\nPlease take me off.\r\n"
    ).encode("utf-8", "surrogateescape")


CASES = {
    "nul-in-from-name": {"sender": "A\x00da <ada@lovelace.example>"},
    "nul-in-from-address": {"sender": "Ada <ada@love\x00lace.example>"},
    "nul-in-message-id": {"message_id": "<nul\x00@x.example>"},
    "nul-in-another-header": {"extra": "X-Note: a\x00b\r\n"},
    "not-utf8-in-from": {"sender": "Ada <ad\udce9@lovelace.example>"},
    "not-utf8-in-message-id": {"message_id": "<n\udce9@x.example>"},
    "nul-in-from-early": {"sender": "A\x00da <ada@lovelace.example>", "padding": 0},
}
TO = ["support@japoon.example"]  # JAPOON: a support address, and mailboxes


@pytest.mark.django_db(transaction=True)  # the LMTP server writes from its own thread
@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bytes_the_database_cannot_hold_are_refused_for_good_or_stripped(
    signed_up, lmtp_server, case
):
    """Item 8: each recipient's answer is 250 (kept, nothing unstorable in it) or 5xx;
    no NUL reaches a stored row. (At this head the sender check already refuses a NUL
    in the address; the test pins every header on both databases.)"""
    with use_profile("japoon"):
        _, me = signed_up("ada", ADA)
        # Ducallier keeps no mailboxes (issue 31): its addresses are only the contacts'.
        mailboxes = [address("ada")] if mailbox.domain() else []
        for to in [*TO, *mailboxes]:
            raw = message(to, **CASES[case])
            with smtplib.LMTP(lmtp_server.host, lmtp_server.port, timeout=30) as lmtp:
                try:
                    lmtp.sendmail("ada@lovelace.example", [to], raw)
                    code = 250
                except smtplib.SMTPDataError as refused:
                    code = refused.smtp_code
            assert code == 250 or 500 <= code < 600, (to, code)
        inbound.act_on_queued()
        assert queued_mail() == 0
        for row in ledger.requests_for(SYSTEM).values("sender", "message_key"):
            assert "\x00" not in row["sender"] and "\x00" not in row["message_key"]
        assert not mailboxes or len(mailbox.page(me)) <= 1


@pytest.mark.django_db(transaction=True)
def test_a_value_the_database_refuses_is_answered_for_good_not_451(lmtp_server, monkeypatch):
    """Item 8: before, any refusal by the database (PostgreSQL's DataError on a NUL in
    text) was answered 451 and the MTA retried it for days; the outage case stays 451."""
    from django.db import DataError, OperationalError

    def refuse(error):
        def put(mail):
            raise error

        return put

    with use_profile("ducallier"):
        raw = message("support@ducallier.com", padding=0)
        for error, code in [(DataError("NUL in text"), 554), (OperationalError("down"), 451)]:
            monkeypatch.setattr(queue, "put", refuse(error))
            with (
                smtplib.LMTP(lmtp_server.host, lmtp_server.port, timeout=30) as lmtp,
                pytest.raises(smtplib.SMTPDataError) as refused,
            ):
                lmtp.sendmail("ada@lovelace.example", ["support@ducallier.com"], raw)
            assert refused.value.smtp_code == code
