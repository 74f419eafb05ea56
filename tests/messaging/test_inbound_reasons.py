"""Every reason inbound mail is ignored for (inbound.Ignored), one test each: a real
message, as the MTA hands it over, through the public entry point; the answer names
the reason, and no table changed, no mail went and nothing waits to happen."""

import pytest
from django.apps import apps
from django.core import mail
from django.db import connection
from tests_paths import use_profile

from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.decided import decided_elsewhere
from hippocratic.enforcement.models import AuditCheckpoint, AuditEntry, AuditHead
from hippocratic.messaging import inbound, services
from hippocratic.messaging.models import ProspectMembership
from hippocratic.purposes import Purpose

pytestmark = pytest.mark.django_db

TESTS = Actor.system("tests")
# What the gateway writes of every read, the ignoring ones too: an account of reads
# (its own tests hold it), not a change of anything the message could ask for.
AUDIT_LOG = {m._meta.db_table for m in (AuditEntry, AuditHead, AuditCheckpoint)}


def test_the_list_of_reasons_is_the_one_these_tests_cover():
    assert {r.name for r in inbound.Ignored} == {
        "NOT_A_REMOVAL_SUBJECT", "NO_RECIPIENT_OF_OURS", "UNKNOWN_CUSTOMER_BOUNCE",
        "PROSPECT_SOFT_BOUNCE", "AUTOMATIC",
    }  # fmt: skip


def letter(to: str, subject: str, sender="ada@lovelace.example", message_id="<r1@x.example>"):
    return (
        f"From: Ada <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\n"
        "Hello there.\r\n"
    ).encode()


def bounce(to: str, status: str) -> bytes:
    """A delivery status notification (RFC 3464), as an MTA sends one back."""
    return (
        f"From: MAILER-DAEMON@mx.example\r\nTo: {to}\r\nSubject: Undelivered Mail\r\n"
        f"Message-ID: <dsn-{status}@mx.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nIt bounced.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; x@y\r\n"
        f"Action: failed\r\nStatus: {status}\r\n--b--\r\n"
    ).encode()


def snapshot() -> dict[str, list]:
    """Every table's rows, but the audit log's: the test's own read of the database."""
    quote, rows = connection.ops.quote_name, {}
    with connection.cursor() as cursor, decided_elsewhere():
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if table in AUDIT_LOG or table in rows:
                continue
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608
            rows[table] = sorted(map(repr, cursor.fetchall()))
    return rows


def ignored(raw: bytes, to: list[str], reason, callbacks, *, queued_too=False):
    """`raw` received (and, where it is sorted out before acting, accepted): ignored for
    `reason`, and nothing else happened."""
    before, sent = snapshot(), len(mail.outbox)
    with callbacks() as waiting:
        got = inbound.receive(raw, to)
        if queued_too:
            assert inbound.accept(raw, to) == got  # never queued
    assert got.reason == reason
    assert not got.done and got.request_id is None and not got.queued
    assert waiting == []  # no mail or task waits for the commit
    assert len(mail.outbox) == sent
    assert snapshot() == before
    return got


def test_to_the_unsubscribe_address_without_asking_removal(django_capture_on_commit_callbacks):
    with use_profile("ducallier"):
        raw = letter("unsubscribe@ducallier.com", "Re: Your newsletter is great")
        got = ignored(raw, ["unsubscribe@ducallier.com"], inbound.Ignored.NOT_A_REMOVAL_SUBJECT,
                      django_capture_on_commit_callbacks, queued_too=True)  # fmt: skip
        assert got.kind == inbound.Kind.IGNORED


def test_to_no_address_of_ours(django_capture_on_commit_callbacks):
    with use_profile("ducallier"):
        signed = inbound.reply_address(12, 3)
        forged = signed.replace("reply+12", "reply+13")  # another customer, the same signature
        for raw, to in [
            (letter("someone@elsewhere.example", "Remove from mailing list"), []),  # To: header
            (letter(forged, "Re: News", message_id="<r2@x.example>"), [forged]),
        ]:  # fmt: skip
            got = ignored(raw, to, inbound.Ignored.NO_RECIPIENT_OF_OURS,
                          django_capture_on_commit_callbacks, queued_too=True)  # fmt: skip
            assert got.kind == inbound.Kind.IGNORED


def test_a_bounce_for_no_customer_of_ours(django_capture_on_commit_callbacks):
    with use_profile("ducallier"):
        address = inbound.reply_address(999, 1, "bounce")  # signed, but names no one here
        got = ignored(bounce(address, "5.1.1"), [address], inbound.Ignored.UNKNOWN_CUSTOMER_BOUNCE,
                      django_capture_on_commit_callbacks)  # fmt: skip
        assert got.kind == inbound.Kind.IGNORED


def test_a_prospects_soft_bounce(django_capture_on_commit_callbacks):
    with use_profile("ducallier"):
        membership = services.invite("Mary Somerville", "mary@somerville.example")
        services.confirm(membership)
        rows = ProspectMembership.objects.for_purpose(TESTS, Purpose.MARKETING_EMAIL)
        prospect = rows.values_list("prospect_id", flat=True).get(pk=membership)
        address = inbound.reply_address(f"p{prospect}", 1, "bounce")
        got = ignored(bounce(address, "4.2.2"), [address], inbound.Ignored.PROSPECT_SOFT_BOUNCE,
                      django_capture_on_commit_callbacks)  # fmt: skip
        assert got.kind == inbound.Kind.BOUNCE  # a bounce, as before, not counted
        assert rows.filter(pk=membership, confirmed_at__isnull=False).exists()  # still on it


AUTOMATIC = {
    "auto-replied": b"Auto-Submitted: auto-replied\r\n",
    "auto-generated": b"Auto-Submitted: Auto-Generated (vacation)\r\n",
    "precedence-bulk": b"Precedence: bulk\r\n",
    "precedence-list": b"Precedence: list\r\n",
    "null-return-path": b"Return-Path: <>\r\n",
}


@pytest.mark.parametrize("header", AUTOMATIC, ids=list(AUTOMATIC))
def test_mail_a_program_sent_is_never_answered(django_capture_on_commit_callbacks, header):
    """Issue 30, item 3: before, an autoresponder's answer to our confirmation was a new
    request, answered by another confirmation, for ever."""
    with use_profile("ducallier"):
        signed = inbound.reply_address(12, 3)
        for n, (to, subject) in enumerate([
            ("unsubscribe@ducallier.com", "Remove from mailing list"),
            ("support@ducallier.com", "Out of office"), ("security@ducallier.com", "Auto"),
            (signed, "Re: News"),
        ]):  # fmt: skip
            raw = AUTOMATIC[header] + letter(to, subject, message_id=f"<a{n}@x.example>")
            got = ignored(raw, [to], inbound.Ignored.AUTOMATIC,
                          django_capture_on_commit_callbacks, queued_too=True)  # fmt: skip
            assert got.kind == inbound.Kind.IGNORED
        for raw in [
            bounce("support@ducallier.com", "5.1.1"),  # a report, from a daemon
            letter("support@ducallier.com", "Hi", sender="mailer-daemon@mx.example"),
        ]:
            ignored(raw, ["support@ducallier.com"], inbound.Ignored.AUTOMATIC,
                    django_capture_on_commit_callbacks)  # fmt: skip


def test_auto_submitted_no_is_a_person_writing():
    """Issue 30, item 3: `Auto-Submitted: no` is what a person's mail may say."""
    with use_profile("ducallier"):
        raw = b"Auto-Submitted: no\r\n" + letter("support@ducallier.com", "Help")
        assert inbound.receive(raw, ["support@ducallier.com"]).kind == inbound.Kind.SUPPORT
