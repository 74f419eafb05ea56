"""Campaign mail on the wire (messaging.wire): to a real SMTP server on loopback, each
member's own message, and the bytes say what Django's message says."""

import pytest
from factories import ADA, SMTPServer, three_customers
from tests_paths import use_profile

from hippocratic.messaging import campaigns, sending
from hippocratic.messaging.models import Campaign, Delivery
from hippocratic.messaging.tasks import send_campaign
from hippocratic.purposes import Purpose

pytestmark = pytest.mark.django_db


@pytest.mark.promise("MSG-2")
def test_a_campaign_over_smtp_reaches_each_member_with_their_own_message(signed_up, settings):
    """The SMTP path itself (messaging.wire.hand_over, each message written while the
    server answers for the one before): a real server on loopback gets each member's
    own message, dot-stuffing undone, and its 4xx and 5xx answers per recipient are
    recorded as deferred and failed."""
    import email as email_package

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

    server = Server()
    controller = SMTPServer(server)
    controller.start()
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                    "OPTIONS": {"host": "127.0.0.1",
                                                "port": controller.port}}}  # fmt: skip
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
