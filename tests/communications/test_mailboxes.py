"""Customers' mail (COM-1): kept sealed only until it is delivered, then deleted after
the policy's period; read on the site, by the API, or downloaded; erasing the customer
destroys the key, and no plaintext is left in the database or on disk."""

import datetime as dt
import smtplib
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from factories import ADA, GRACE, SECRET, address, letter
from freezegun import freeze_time
from tests_paths import making, use_profile

from hippocratic.accounts import own_data
from hippocratic.communications import crypto, forwarding, mailbox
from hippocratic.communications.models import MailboxKey, StoredMessage
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.decided import decided_elsewhere
from hippocratic.enforcement.models import AuditEntry
from hippocratic.enforcement.tasks import purge_expired_personal_data
from hippocratic.messaging import inbound
from hippocratic.provider import current_policy

PROFILES = making("COM-1")  # Ducallier keeps no mailboxes: its seed has no mail service


def everything_stored() -> bytes:
    """Every value of every table, as bytes: what a copy of the database holds."""
    found = []
    with connection.cursor() as cursor, decided_elsewhere():
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    found.append(bytes(value) if isinstance(value, (bytes, memoryview))
                                 else str(value).encode())  # fmt: skip
    return b"\n".join(found)


@pytest.mark.promise("COM-1")
@pytest.mark.django_db
@pytest.mark.parametrize("profile", PROFILES, indirect=True)
def test_mail_waits_sealed_for_its_owner_and_is_deleted_after_delivery(signed_up, profile):
    client, me = signed_up("ada", ADA)
    _, grace = signed_up("grace", GRACE)
    got = inbound.receive(letter(address()), [address()])
    assert (got.kind, got.done) == ("mailbox", True)
    inbound.receive(letter(address()), [address()])  # the MTA's retry: kept once
    (stored,) = mailbox.page(me)
    assert stored.subject == "Lunch on Friday?" and stored.delivered_at is None
    assert mailbox.page(grace) == []  # Grace's mailbox holds nothing of Ada's
    # Sealed at rest: no table holds the text, the subject or the sender in clear.
    held = everything_stored()
    assert SECRET.encode() not in held and b"Lunch on Friday" not in held
    assert b"friend@friend.example" not in held
    # Unknown mailboxes are refused (the MTA answers the sender 550).
    with pytest.raises(inbound.MailRejected, match="no such mailbox"):
        inbound.receive(letter(address("nobody")), [address("nobody")])
    # The owner reads it: it is delivered from then on.
    page = client.get(f"/account/mail/{stored.id}/")
    assert page.status_code == 200 and SECRET in page.content.decode()
    download = client.get(f"/account/mail/{stored.id}.eml")
    assert download["Content-Type"] == "message/rfc822" and SECRET.encode() in download.content
    (read,) = mailbox.page(me)
    assert read.delivered_at is not None and read.status == "delivered"
    kept = current_policy().mailbox_item().retention
    # A message never collected waits its own, longer period.
    inbound.receive(letter(address(), message_id="<m2@friend.example>"), [address()])
    later = timezone.now() + dt.timedelta(days=kept.days, hours=1)
    with freeze_time(later):
        purge_expired_personal_data.call()
    assert [m.subject for m in mailbox.page(me)] == ["Lunch on Friday?"]  # the uncollected
    assert mailbox.page(me)[0].delivered_at is None
    with freeze_time(timezone.now() + dt.timedelta(days=kept.undelivered_days, hours=1)):
        purge_expired_personal_data.call()
    assert mailbox.page(me) == []
    entry = AuditEntry.objects.filter(purpose="retention", rule="retention:*").last()
    assert entry is not None and "user.content.private" in entry.categories


@pytest.mark.promise("COM-1")
@pytest.mark.django_db
def test_the_page_api_and_data_export_show_the_mailbox_and_another_customer_gets_404(signed_up):
    with use_profile("isp"):
        client, me = signed_up("ada", ADA)
        stranger, _ = signed_up("grace", GRACE)
        inbound.receive(letter(address()), [address()])
        (stored,) = mailbox.page(me)
        inbox = client.get("/account/mail/")
        assert inbox.status_code == 200 and "Lunch on Friday?" in inbox.content.decode()
        assert f"{kept_days()} days after you first read" in inbox.content.decode()
        listed = client.get("/api/mailbox").json()
        assert [m["subject"] for m in listed] == ["Lunch on Friday?"]
        assert listed[0]["delivered_at"] is None
        opened = client.get(f"/api/mailbox/{stored.id}").json()
        assert SECRET in opened["text"] and opened["delivered_at"] is not None
        assert client.get(f"/api/mailbox/{stored.id}/eml").content.startswith(b"From: Friend")
        assert stranger.get(f"/account/mail/{stored.id}/").status_code == 404
        assert stranger.get(f"/api/mailbox/{stored.id}").status_code == 404
        assert client.get("/api/mailbox?limit=100000").status_code == 422
        held = own_data.everything(me)
        (row,) = held["sections"]["mail_kept_for_you"]
        assert row["subject"] == "Lunch on Friday?" and "content" not in row


def kept_days() -> int:
    return current_policy().mailbox_item().retention.days


@pytest.mark.promise("COM-1")
@pytest.mark.django_db(transaction=True)
def test_erasure_destroys_the_key_and_leaves_no_plaintext_on_disk(signed_up):
    if connection.vendor != "sqlite":
        pytest.skip("reads the SQLite database file itself")
    with use_profile("isp"):
        _, me = signed_up("ada", ADA)
        inbound.receive(letter(address()), [address()])
        wrapped = bytes(MailboxKey.objects.get(customer_id=me).wrapped)
        (stored,) = mailbox.page(me)
        with decided_elsewhere():
            sealed = bytes(StoredMessage.internal.get(pk=stored.id).content)
        assert wrapped in on_disk() and sealed in on_disk()  # what the scan below can see
        assert SECRET.encode() not in on_disk()  # sealed from the start
        own_data.erase(me, by=Actor.for_customer(me))
        assert not MailboxKey.objects.filter(customer_id=me).exists()
        with decided_elsewhere():
            assert not StoredMessage.internal.filter(customer_id=me).exists()
        # The ciphertext, wherever a copy survives, no longer opens with any key we hold.
        with pytest.raises(crypto.Unreadable):
            crypto.unseal(crypto.cipher(me, crypto.new_wrapped_key(me)), me, "content", sealed)
        assert SECRET.encode() not in on_disk()
        assert wrapped not in on_disk()  # secure_delete and a checkpoint left no copy of the key
        assert sealed not in on_disk()


def on_disk() -> bytes:
    """The database file and its write-ahead log, as they are on disk now."""
    database = Path(settings.DATABASES["default"]["NAME"])
    return b"".join(
        p.read_bytes() for p in database.parent.glob(database.name + "*") if p.is_file()
    )


@pytest.mark.promise("COM-1")
@pytest.mark.django_db(transaction=True)  # the LMTP server writes from its own thread
def test_lmtp_to_mailbox_to_portal_on_loopback(signed_up, lmtp_server):
    with use_profile("japoon"):
        client, _me = signed_up("ada", ADA)
        with smtplib.LMTP(lmtp_server.host, lmtp_server.port) as lmtp:
            lmtp.sendmail("friend@friend.example", [address()], letter(address()))
            with pytest.raises(smtplib.SMTPDataError) as refused:
                lmtp.sendmail("friend@friend.example", [address("nobody")],
                              letter(address("nobody"), message_id="<m9@x>"))  # fmt: skip
            assert refused.value.smtp_code == 550
        lmtp_server.stop()
        page = client.get("/account/mail/")
        assert "Lunch on Friday?" in page.content.decode()


@pytest.mark.promise("COM-1")
def test_the_page_states_the_periods_the_retention_job_applies():
    from hippocratic.capabilities import enforced
    from hippocratic.policy.render import to_markdown

    for profile in PROFILES:
        with use_profile(profile):
            policy = current_policy()
            kept = policy.mailbox_item().retention
            text = " ".join(to_markdown(policy, enforced=enforced()).split())
            assert f"{kept.days} days after we deliver it to you" in text
            assert f"{kept.undelivered_days} days after it arrives" in text


def test_a_sealed_value_moved_to_another_customer_does_not_open():
    ada, grace = crypto.new_wrapped_key(1), crypto.new_wrapped_key(2)
    sealed = crypto.seal(crypto.cipher(1, ada), 1, "content", b"hello")
    assert crypto.unseal(crypto.cipher(1, ada), 1, "content", sealed) == b"hello"
    with pytest.raises(crypto.Unreadable):
        crypto.unseal(crypto.cipher(1, ada), 1, "summary", sealed)  # another field
    with pytest.raises(crypto.Unreadable):
        crypto.unseal(crypto.cipher(2, grace), 2, "content", sealed)  # another customer
    with pytest.raises(crypto.Unreadable):
        crypto.cipher(2, ada)  # a key wrapped for customer 1 does not unwrap as 2's


@pytest.mark.django_db
def test_the_customer_role_reads_only_its_own_mail(signed_up):
    with use_profile("isp"):
        _, _me = signed_up("ada", ADA)
        _, grace = signed_up("grace", GRACE)
        inbound.receive(letter(address()), [address()])
        theirs = StoredMessage.objects.for_purpose(Actor.for_customer(grace), "essential.service")
        assert theirs.count() == 0


@pytest.mark.promise("COM-1")
@pytest.mark.django_db
def test_mail_forwarded_to_the_customers_address_is_delivered(
    signed_up, settings, django_capture_on_commit_callbacks
):
    from django.core import mail

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with use_profile("japoon"):
        client, me = signed_up("ada", ADA)
        page = client.get("/account/mail/").content.decode()
        assert "Forward my mail to" in page
        assert "forwarded to an address you choose" in client.get("/privacy/").content.decode()
        client.post("/account/mail/forwarding/", {"address": address("ada")})  # a loop
        assert forwarding.address_of(me) == ""  # refused: not to a mailbox of ours
        client.post("/account/mail/forwarding/", {"address": "ada@elsewhere.example"})
        with django_capture_on_commit_callbacks(execute=True):
            inbound.receive(letter(address()), [address()])
        (sent,) = mail.outbox
        assert sent.to == ["ada@elsewhere.example"]
        raw = sent.message().as_bytes()
        assert SECRET.encode() in raw and b"Resent-To: ada@elsewhere.example" in raw
        (kept,) = mailbox.page(me)
        assert kept.delivered_at is not None  # forwarded: delivered, retention runs
        client.post("/account/mail/forwarding/", {"address": ""})
        with django_capture_on_commit_callbacks(execute=True):
            inbound.receive(letter(address(), message_id="<m2@x>"), [address()])
        assert len(mail.outbox) == 1  # forwarding stopped
    with use_profile("isp"):  # no e-mail addresses collected: no forwarding offered
        _, _ = signed_up("grace", GRACE)
        assert "forwarded to" not in Client().get("/privacy/").content.decode()


@pytest.mark.promise("COM-5")
@pytest.mark.django_db
def test_ducallier_keeps_no_mailboxes_its_seed_describes_no_mail_service(signed_up):
    """Issue 31: Ducallier had gained mailboxes at mail.ducallier.com; its seed hosts
    data in online applications and carries no customer's mail. Mail to a customer's
    user name there is none of ours, and no page offers a mailbox."""
    with use_profile("ducallier"):
        client, _ = signed_up("ada", ADA)
        assert current_policy().communications.mailbox_domain is None
        got = inbound.receive(letter("ada@mail.ducallier.com"), ["ada@mail.ducallier.com"])
        assert (got.kind, got.done) == ("ignored", False)
        with decided_elsewhere():
            assert not StoredMessage.internal.exists()
        assert client.get("/account/mail/").status_code == 404
        assert "mail.ducallier.com" not in client.get("/privacy/").content.decode()
