"""Issue 30, item 3: every automatic mail says so (RFC 3834 `Auto-Submitted`). The
notices did; campaign mail (newsletters, bulletins) did not, so an autoresponder at the
other end answered each one. A scenario sends every kind of mail the site sends through
a real SMTP server on loopback, and every message it got is swept."""

import email
import email.policy

import pytest
from django.core import mail
from django.test import Client
from factories import ADA, GRACE, SMTPServer, eml, send
from tests_paths import use_profile

from hippocratic.messaging import campaigns, inbound
from hippocratic.messaging.models import Campaign

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
MARKS = ("auto-generated", "auto-replied")


class Sink:
    def __init__(self):
        self.got = []

    async def handle_DATA(self, server, session, envelope):
        self.got.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    sink = Sink()
    server = SMTPServer(sink)
    server.start()
    smtp_ = {"host": "127.0.0.1", "port": server.port}
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": smtp_}
    }
    settings.HIPPOCRATIC_MAIL_RATE = 0
    settings.TASKS = IMMEDIATE
    yield sink
    server.stop()


def test_every_mail_a_scenario_sends_is_marked_automatic(
    smtp, signed_up, django_capture_on_commit_callbacks
):
    with use_profile("ducallier"), django_capture_on_commit_callbacks(execute=True):
        ada, _ = signed_up("ada", ADA)
        grace, _ = signed_up("grace", GRACE)
        for client in (ada, grace):
            client.post("/mail/list/", {"join": "1"})
        inbound.receive(eml("Help", to="support@ducallier.com"), ["support@ducallier.com"])
        Client().post("/mail/join/", {"name": "Mary", "email": "mary@somerville.example"})
        inbound.receive(eml("Remove from mailing list", proven=True),
                        ["unsubscribe@ducallier.com"])  # fmt: skip
        kinds = campaigns.kinds_available()
        for kind in kinds:
            send(kind, subject=f"Campaign {kind}")
    assert mail.outbox == []  # everything went over SMTP
    subjects = [m["Subject"] for m in smtp.got]
    assert Campaign.Kind.NEWSLETTER in kinds
    # Each kind reached someone (the newsletter Grace only: Ada left the list).
    assert all(any(s == f"Campaign {kind}" for s in subjects) for kind in kinds), subjects
    assert len(smtp.got) >= 3 + len(kinds), subjects  # three notices, a mail a kind
    unmarked = [m["Subject"] for m in smtp.got if m["Auto-Submitted"] not in MARKS]
    assert unmarked == []
    campaign = [m for m in smtp.got if m["Subject"].startswith("Campaign ")]
    assert {m["Auto-Submitted"] for m in campaign} == {"auto-generated"}
    replies = [m for m in smtp.got if "confirm your request" in m["Subject"]]
    assert replies and {m["Auto-Submitted"] for m in replies} == {"auto-replied"}


def test_a_campaign_message_is_marked_on_both_paths(signed_up):
    """The locmem path (Django's message) too, not only the wire's bytes."""
    with use_profile("ducallier"):
        client, _ = signed_up("ada", ADA)
        client.post("/mail/list/", {"join": "1"})
        send(Campaign.Kind.NEWSLETTER)
        assert mail.outbox
        assert {m.message()["Auto-Submitted"] for m in mail.outbox} == {"auto-generated"}
