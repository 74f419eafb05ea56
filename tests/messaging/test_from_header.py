"""Issue 30: a display name that is not ASCII ("Dúcallier", a name with accents) was
mangled: the campaign writer encoded the whole "Name <address>" as RFC 2047 words, so
the header held no address at all, and a DEFAULT_FROM_EMAIL with a name became the
envelope sender and the Message-ID's domain as it was. Now the name is encoded apart
from the address (email.utils.formataddr), on both paths (messaging.wire and Django's
message), and the envelope and Message-ID take the bare address."""

import email
import email.policy

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.test import override_settings
from factories import ADA, SMTPServer
from tests_paths import POLICIES

from hippocratic.accounts import notices
from hippocratic.messaging import sending
from hippocratic.messaging.models import Campaign
from hippocratic.messaging.tasks import send_campaign
from hippocratic.messaging.wire import wire_bytes
from hippocratic.provider import sender, sender_address

pytestmark = pytest.mark.django_db
NAME = "Dúcallier Stüdios, Ltd."


def parsed(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


@pytest.fixture
def accented(tmp_path):
    """Ducallier's policy with a provider name that is not ASCII (and has a comma)."""
    text = (POLICIES / "ducallier.yaml").read_text()
    assert "  name: The Ducallier Studios\n" in text
    path = tmp_path / "accented.yaml"
    path.write_text(text.replace("  name: The Ducallier Studios\n", f"  name: {NAME}\n", 1))
    with override_settings(HIPPOCRATIC_POLICY=str(path)):
        yield


def test_the_wire_keeps_the_address_apart_from_a_name_that_is_not_ascii():
    message = EmailMessage("Hi", "Body", "bounce@ducallier.com", ["zoe@example.org"],
                           headers={"From": "Zoë Núñez <zoe@ducallier.com>",
                                    "Reply-To": "Équipe <reply@ducallier.com>",
                                    "Message-ID": "<1@ducallier.com>"})  # fmt: skip
    got = parsed(wire_bytes(message))
    # Before: From held one encoded word, "Zoë Núñez <zoe@ducallier.com>", and no address.
    (sender_,) = got["From"].addresses
    assert (sender_.display_name, sender_.addr_spec) == ("Zoë Núñez", "zoe@ducallier.com")
    (reply,) = got["Reply-To"].addresses
    assert (reply.display_name, reply.addr_spec) == ("Équipe", "reply@ducallier.com")
    assert wire_bytes(message).isascii()
    message.extra_headers["From"] = "Zoë <zoë@ducallier.com>"  # an address not ASCII
    assert wire_bytes(message) is None  # Django's general path writes it


def test_a_default_from_email_with_a_name_gives_the_bare_address(settings, tmp_path):
    text = (POLICIES / "ducallier.yaml").read_text()
    path = tmp_path / "nosupport.yaml"
    path.write_text(
        text.replace(
            "    support: {email: support@ducallier.com, online_form: true}\n",
            "    support: {online_form: true}\n",
            1,
        )
    )
    settings.DEFAULT_FROM_EMAIL = "Dúcallier <news@ducallier.example>"
    with override_settings(HIPPOCRATIC_POLICY=str(path)):
        assert sender_address() == "news@ducallier.example"
        (header,) = parsed(f"From: {sender()}\n\n".encode())["From"].addresses
        assert header.addr_spec == "news@ducallier.example"


def test_campaign_and_notice_carry_the_providers_name_intact(accented, signed_up, settings):
    class Sink:
        got = []

        async def handle_DATA(self, server, session, envelope):
            self.got.append((envelope.mail_from, parsed(envelope.content)))
            return "250 OK"

    server = SMTPServer(Sink())
    server.start()
    smtp_ = {"host": "127.0.0.1", "port": server.port}
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": smtp_}
    }
    settings.HIPPOCRATIC_MAIL_RATE = 0
    try:
        client, _ = signed_up("ada", ADA)
        client.post("/mail/list/", {"join": "1"})
        campaign = Campaign.objects.create(kind="newsletter", subject="Nouvelles", body="Été")
        send_campaign.call(campaign.pk)
        notices.mail_address("zoe@example.org", "Bonjour", "Un message.")
    finally:
        server.stop()
    assert mail.outbox == [] and len(Sink.got) == 2
    for envelope, message in Sink.got:
        (from_,) = message["From"].addresses
        assert (from_.display_name, from_.addr_spec) == (NAME, "support@ducallier.com")
        assert "<" not in envelope and envelope.endswith("@ducallier.com")
        assert message["Message-ID"].endswith("@ducallier.com>")
    rendering = sending._Rendering(campaign)
    assert rendering.domain == "ducallier.com" and rendering.sender == "support@ducallier.com"
