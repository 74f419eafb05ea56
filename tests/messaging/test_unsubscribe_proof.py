"""Issue 30, item 10: unsubscribe by mail acts at once only where the message proves
its sender (a reply+ token, or our MTA's DKIM/SPF pass for the From: domain in an
Authentication-Results header under our authserv-id); otherwise a confirmation link
goes to the From: address, and nothing changes until it is followed. A reply+ address
used from another sender sends that sender nothing."""

import re

import pytest
from django.core import mail
from django.test import Client
from factories import ADA, eml
from tests_paths import use_profile

from hippocratic.messaging import inbound, services
from hippocratic.messaging.inbound.proof import authserv_id

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def removal(results: str = "", sender: str = ADA["email"], n: int = 1) -> bytes:
    """Ada's "Remove from mailing list", with the receiving MTA's results on top."""
    raw = eml("Remove from mailing list", sender, message_id=f"<rm{n}@lovelace.example>")
    ours = authserv_id()  # by default the unsubscribe address's domain, at Ducallier
    results = results.format(ours=ours, OURS=ours.upper())
    return (f"Authentication-Results: {results}\r\n".encode() + raw) if results else raw


def on_the_list(signed_up):
    client, me = signed_up("ada", ADA)
    client.post("/mail/list/", {"join": "1"})
    assert services.is_member(me)
    return me


@pytest.mark.promise("MSG-3")
def test_an_unproven_removal_waits_for_the_link_mailed_to_the_from_address(
    signed_up, settings, django_capture_on_commit_callbacks
):
    """Item 10: before, anyone who knew Ada's address took her off the list with a
    forged From: line."""
    settings.TASKS = IMMEDIATE
    with use_profile("ducallier"):
        me = on_the_list(signed_up)
        with django_capture_on_commit_callbacks(execute=True):
            got = inbound.receive(removal(), ["unsubscribe@ducallier.com"])
        assert not got.done and services.is_member(me)
        (sent,) = mail.outbox
        assert sent.to == [ADA["email"]] and "confirm" in sent.subject.lower()
        link = re.search(r"https?://\S+/confirm/\S+", sent.body).group(0)
        path = link.split("://", 1)[1].split("/", 1)[1]
        page = Client().get("/" + path)
        assert page.status_code == 200 and services.is_member(me)  # a GET changes nothing
        with django_capture_on_commit_callbacks(execute=True):
            done = Client().post("/" + path)
        assert done.status_code == 200 and not services.is_member(me)
        assert "left the mailing list" in done.content.decode()


PROOFS = {
    "dkim": "{ours}; dkim=pass (2048-bit key) header.d=lovelace.example header.s=s1",
    "spf": "{ours}; spf=pass smtp.mailfrom=ada@lovelace.example",
    "dmarc": "{OURS}; dmarc=pass header.from=lovelace.example",
}


@pytest.mark.promise("MSG-3")
@pytest.mark.parametrize("proof", PROOFS, ids=list(PROOFS))
def test_a_removal_our_mta_authenticated_is_done_at_once(
    signed_up, settings, django_capture_on_commit_callbacks, proof
):
    """Item 10: a DKIM/SPF/DMARC pass for Ada's domain, recorded by our MTA."""
    with use_profile("ducallier"):
        me = on_the_list(signed_up)
        with django_capture_on_commit_callbacks(execute=True):
            got = inbound.receive(removal(PROOFS[proof]), ["unsubscribe@ducallier.com"])
        assert got.done and not services.is_member(me)
        (sent,) = mail.outbox
        assert sent.to == [ADA["email"]] and "off" in sent.subject


FORGED = {
    "another-authserv-id": "mx.attacker.example; dkim=pass header.d=lovelace.example",
    "another-domain": "{ours}; dkim=pass header.d=attacker.example",
    "a-fail": "{ours}; dkim=fail header.d=lovelace.example; spf=softfail "
    "smtp.mailfrom=ada@lovelace.example",
    "unreadable": "{ours}; dkim=pass header.d=lovelace.example; ===((",
    "look-alike-domain": "{ours}; spf=pass smtp.mailfrom=x@evil-lovelace.example",
}


@pytest.mark.parametrize("forged", FORGED, ids=list(FORGED))
def test_results_we_did_not_record_or_that_do_not_pass_prove_nothing(
    signed_up, settings, django_capture_on_commit_callbacks, forged
):
    """Item 10: only our authserv-id's pass for the From: domain counts."""
    settings.TASKS = IMMEDIATE
    with use_profile("ducallier"):
        me = on_the_list(signed_up)
        with django_capture_on_commit_callbacks(execute=True):
            got = inbound.receive(removal(FORGED[forged]), ["unsubscribe@ducallier.com"])
        assert not got.done and services.is_member(me)
        (sent,) = mail.outbox
        assert sent.to == [ADA["email"]] and "confirm" in sent.subject.lower()


def test_the_authserv_id_is_a_setting(signed_up, settings, django_capture_on_commit_callbacks):
    """Item 10: HIPPOCRATIC_AUTHSERV_ID names the MTA whose results count."""
    settings.HIPPOCRATIC_AUTHSERV_ID = "mx1.ducallier.com"
    with use_profile("ducallier"):
        me = on_the_list(signed_up)
        first = removal("ducallier.com; dkim=pass header.d=lovelace.example")  # the default
        assert not inbound.receive(first, ["unsubscribe@ducallier.com"]).done
        ours = removal("mx1.ducallier.com; dkim=pass header.d=lovelace.example", n=2)
        assert inbound.receive(ours, ["unsubscribe@ducallier.com"]).done
        assert not services.is_member(me)


@pytest.mark.promise("MSG-4")
def test_a_reply_address_used_by_another_sender_mails_that_sender_nothing(
    signed_up, settings, django_capture_on_commit_callbacks
):
    """Item 10: before, the "you are off the list" mail went to whoever wrote to Ada's
    reply+ address; the token proves the message reached Ada, so she leaves, and is
    told at her own address."""
    with use_profile("ducallier"):
        me = on_the_list(signed_up)
        reply = inbound.reply_address(me, 1)
        raw = eml("Re: News", "stranger@elsewhere.example", to=reply)
        with django_capture_on_commit_callbacks(execute=True):
            got = inbound.receive(raw, [reply])
        assert got.done and not services.is_member(me)
        assert all("stranger@elsewhere.example" not in m.to for m in mail.outbox)
        assert [m.to for m in mail.outbox] == [[ADA["email"]]]
