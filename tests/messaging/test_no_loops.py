"""Issue 30, item 3: the site never mails itself for ever. Every automatic mail says so
(RFC 3834 Auto-Submitted), intake never answers one (see also test_inbound_reasons:
AUTOMATIC), the provider's own addresses are refused as a customer's, a prospect's or a
forwarding address, and forwarding stops on a loop, with or without a Message-ID."""

import json

import pytest
from django.core import mail
from django.test import Client
from factories import ADA, SECRET, address, eml, letter, sign_up
from tests_paths import use_profile

from hippocratic.communications import forwarding, mailbox
from hippocratic.messaging import inbound

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def test_every_automatic_mail_carries_auto_submitted(
    signed_up, settings, django_capture_on_commit_callbacks
):
    """Item 3: before, no mail the site sent said it was automatic, so an autoresponder
    at the other end answered it (and our intake answered that)."""
    settings.TASKS = IMMEDIATE
    with use_profile("ducallier"):
        signed_up("ada", ADA)
        with django_capture_on_commit_callbacks(execute=True):
            inbound.receive(eml("Help", to="support@ducallier.com"), ["support@ducallier.com"])
            Client().post("/mail/join/", {"name": "Mary", "email": "mary@somerville.example"})
            inbound.receive(eml("Remove from mailing list"), ["unsubscribe@ducallier.com"])
        assert len(mail.outbox) >= 3
        for sent in mail.outbox:
            assert sent.message()["Auto-Submitted"] in ("auto-replied", "auto-generated")
        replies = [m for m in mail.outbox if "confirm your request" in m.subject]
        assert replies and all(m.message()["Auto-Submitted"] == "auto-replied" for m in replies)


OURS = ["support@ducallier.com", "UNSUBSCRIBE@ducallier.com", "someone@ducallier.com",
        "ada@mail.ducallier.com", "x@sub.ducallier.com"]  # fmt: skip


@pytest.mark.parametrize("own", OURS)
def test_the_providers_own_addresses_are_refused_as_a_customers(signed_up, own):
    """Item 3: before, sign-up and profile took support@ (and the mailbox domain), and
    each "please confirm" to it made another request and another mail."""
    with use_profile("ducallier"):
        refused = sign_up(Client(), "mallory", {**ADA, "email": own})
        assert refused.status_code == 200
        assert "That address is one of ours" in refused.content.decode()
        client, _ = signed_up("ada", ADA)
        page = client.post("/account/profile/", {**ADA, "email": own})
        assert page.status_code == 200 and "That address is one of ours" in page.content.decode()
        api = client.patch("/api/me", json.dumps({"email": own}), content_type="application/json")
        assert api.status_code == 422 and "one of ours" in api.json()["detail"]
        assert client.get("/api/me").json()["email"] == ADA["email"]
        join = Client().post("/mail/join/", {"name": "Mallory", "email": own})
        assert "That address is one of ours" in join.content.decode()


def test_a_reply_address_is_refused_as_a_customers_and_for_forwarding(signed_up):
    """Item 3: the per-recipient reply+ address is the provider's own too."""
    with use_profile("ducallier"):
        client, me = signed_up("ada", ADA)
        reply = inbound.reply_address(me, 1)
        page = client.post("/account/profile/", {**ADA, "email": reply})
        assert "That address is one of ours" in page.content.decode()
    with use_profile("japoon"):
        client, me = signed_up("grace", {**ADA, "email": "grace@hopper.example"})
        for own in ["support@japoon.example", "x@mail.japoon.example", "a@japoon.example"]:
            client.post("/account/mail/forwarding/", {"address": own})
            assert forwarding.address_of(me) == ""
        with pytest.raises(Exception, match="not to one of ours"):
            forwarding.set_address(me, "support@japoon.example")


@pytest.mark.parametrize("message_id", ["", "<loop@friend.example>"], ids=["no-id", "an-id"])
def test_forwarding_stops_when_the_message_comes_back(
    signed_up, settings, django_capture_on_commit_callbacks, message_id
):
    """Item 3: before, a message without a Message-ID forwarded out and back was stored
    and forwarded again each round."""
    settings.TASKS = IMMEDIATE
    with use_profile("japoon"):
        _, me = signed_up("ada", ADA)
        forwarding.set_address(me, "ada@elsewhere.example")
        raw = letter(address())
        if not message_id:
            raw = raw.replace(b"Message-ID: <m1@friend.example>\r\n", b"")
        with django_capture_on_commit_callbacks(execute=True):
            inbound.receive(raw, [address()])
        (sent,) = mail.outbox
        back = sent.message().as_bytes()  # as the address it went to sends it back
        assert b"X-Loop: " in back and SECRET.encode() in back
        for _ in range(2):  # back in, and the MTA's retry of that
            with django_capture_on_commit_callbacks(execute=True):
                inbound.receive(back, [address()])
        assert len(mail.outbox) == 1
        assert len(mailbox.page(me)) == (2 if not message_id else 1)  # kept, to read


def test_forwarding_stops_past_the_hop_count(
    signed_up, settings, django_capture_on_commit_callbacks
):
    """Item 3: a loop through servers that strip our headers still ends, by its
    Received: lines."""
    settings.TASKS = IMMEDIATE
    with use_profile("japoon"):
        _, me = signed_up("ada", ADA)
        forwarding.set_address(me, "ada@elsewhere.example")
        hops = b"Received: from a.example by b.example; Fri, 27 Nov 2026 10:00:00 +0000\r\n"
        for n, count in [(1, 5), (2, forwarding.MAX_HOPS + 1)]:
            raw = hops * count + letter(address(), message_id=f"<hop{n}@friend.example>")
            with django_capture_on_commit_callbacks(execute=True):
                inbound.receive(raw, [address()])
        assert len(mail.outbox) == 1  # the first; the second, past the hops, stays here
