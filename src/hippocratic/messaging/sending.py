"""Sending a campaign: deliveries written first, one per recipient, then each message
rendered, handed to the mail server and marked. A delivery is marked "sending" before
it goes, so a worker killed mid-send never sends it twice (at most once, and the
uncertain ones stay visible to staff).

Marketing messages carry RFC 8058's one-click unsubscribe: a List-Unsubscribe header
with an https link holding a signed per-recipient token and a mailto, and
List-Unsubscribe-Post. Only a POST to that link unsubscribes (MSG-5).
"""

import smtplib
import time
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, mailers
from django.core.mail.message import make_msgid
from django.db import transaction
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from hippocratic.messaging import campaigns
from hippocratic.messaging.inbound import reply_address
from hippocratic.messaging.models import Campaign, Delivery
from hippocratic.provider import current_policy, sender_address

UNSUBSCRIBE_SALT = "hippocratic.messaging.unsubscribe"
UNSUBSCRIBE_SUBJECT = "Remove From Mailing List"
CHUNK = 200


def unsubscribe_token(customer_id: int, campaign_id: int) -> str:
    return signing.dumps({"c": customer_id, "m": campaign_id}, salt=UNSUBSCRIBE_SALT)


def customer_of_token(token: str) -> int | None:
    try:
        return int(signing.loads(token, salt=UNSUBSCRIBE_SALT)["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def _unsubscribe_mailto() -> str | None:
    contact = getattr(current_policy().provider.contacts, "unsubscribe", None)
    if contact is None or not contact.email:
        return None
    return f"mailto:{contact.email}?subject={quote(UNSUBSCRIBE_SUBJECT)}"


def start(campaign: Campaign) -> int:
    """Check the template, choose the recipients and write their deliveries; returns
    how many. CampaignRefused if the campaign may not go as written."""
    fields = campaigns.template_fields(campaign)
    chosen = campaigns.recipients(campaign, fields)
    rows = Delivery.objects.for_purpose(campaigns.SENDER, campaigns.KINDS[campaign.kind].purpose)
    with transaction.atomic():
        rows.bulk_create(
            [Delivery(campaign=campaign, customer_id=pk) for pk in chosen],
            ignore_conflicts=True,
        )
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    return len(chosen)


def send_queued(campaign: Campaign, *, rate_per_second: float | None = None) -> dict:
    """Send the campaign's queued deliveries over one connection to the mail server.
    Each chunk is marked "sending" in one write before any of it goes, and its answers
    are written in one more: a killed worker leaves at most a chunk "sending", never
    sent twice. Temporary SMTP errors leave a delivery queued for the next try;
    permanent ones mark it failed. Returns counts."""
    rule = campaigns.KINDS[campaign.kind]
    fields = campaigns.template_fields(campaign)
    rate = (
        getattr(settings, "HIPPOCRATIC_MAIL_RATE", 50)
        if rate_per_second is None
        else (rate_per_second)
    )
    deliveries = Delivery.objects.for_purpose(campaigns.SENDER, rule.purpose)
    counts = {"sent": 0, "failed": 0, "deferred": 0}
    subject, body = Template(campaign.subject), Template(campaign.body)
    mailer = mailers.default
    last, started = 0, time.monotonic()
    with mailer:
        while True:
            queued = deliveries.filter(campaign=campaign, status=Delivery.Status.QUEUED)
            batch = list(queued.filter(pk__gt=last).order_by("pk").values_list(
                "pk", "customer_id")[:CHUNK])  # fmt: skip
            if not batch:
                break
            last = batch[-1][0]
            # Read again, as the campaign's purpose: whoever opted out since is left out.
            people = campaigns.recipients(campaign, fields, only=[c for _, c in batch])
            with transaction.atomic():
                mine = queued.filter(pk__in=[d for d, _ in batch]).select_for_update(
                    skip_locked=True
                )  # fmt: skip
                taken = set(mine.values_list("pk", flat=True))
                deliveries.filter(pk__in=taken).update(status=Delivery.Status.SENDING, attempts=1)
            answers = []
            for delivery_id, customer_id in batch:
                if delivery_id not in taken:
                    continue  # another worker took it
                if customer_id not in people:  # opted out or left meanwhile
                    answers.append((delivery_id, Delivery.Status.FAILED, "", None))
                    continue
                if counts.get("server_gone"):  # back in the queue for the next try
                    answers.append((delivery_id, Delivery.Status.QUEUED, "", None))
                    continue
                message = _message(campaign, subject, body, people[customer_id])
                answers.append((delivery_id, *_send(mailer, message, counts)))
                if rate:
                    _pace(started, counts["sent"], rate)
            deliveries.update_rows(["status", "message_id", "sent_at"], answers)
            if counts.pop("server_gone", False):
                break
    if not deliveries.filter(campaign=campaign, status=Delivery.Status.QUEUED).exists():
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.SENT, sent_at=timezone.now()
        )
    return counts


def _send(mailer, message: EmailMessage, counts: dict) -> tuple[str, str, object]:
    """(status, Message-ID, sent at) of one message handed to the mail server."""
    try:
        mailer.send_messages([message])
    except smtplib.SMTPResponseException as error:
        temporary = 400 <= error.smtp_code < 500
        counts["deferred" if temporary else "failed"] += 1
        return (Delivery.Status.QUEUED if temporary else Delivery.Status.FAILED), "", None
    except (smtplib.SMTPException, OSError):  # the server went away: try again later
        counts["deferred"] += 1
        counts["server_gone"] = True
        return Delivery.Status.QUEUED, "", None
    counts["sent"] += 1
    return Delivery.Status.SENT, message.extra_headers["Message-ID"], timezone.now()


def _pace(started: float, sent: int, rate: float) -> None:
    """Keep to `rate` messages a second on average (HIPPOCRATIC_MAIL_RATE; 0: no limit)."""
    ahead = sent / rate - (time.monotonic() - started)
    if ahead > 0:
        time.sleep(ahead)


def _message(campaign, subject, body, person: dict) -> EmailMessage:
    context = {"customer": person, "provider": current_policy().provider.name}
    headers = {"Message-ID": make_msgid(domain=sender_address().rsplit("@", 1)[-1])}
    if campaigns.KINDS[campaign.kind].purpose == campaigns.MARKETING:
        link = settings.SITE_URL + reverse(
            "messaging:unsubscribe", args=[unsubscribe_token(person["pk"], campaign.pk)]
        )
        context["unsubscribe_url"] = link
        targets = [f"<{link}>"] + ([f"<{m}>"] if (m := _unsubscribe_mailto()) else [])
        headers["List-Unsubscribe"] = ", ".join(targets)
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        if reply := reply_address(person["pk"], campaign.pk):  # a reply opts out (MSG-4)
            headers["Reply-To"] = reply
    text = body.render(Context(context, autoescape=False))
    if "unsubscribe_url" in context and context["unsubscribe_url"] not in text:
        text += f"\n\n--\nTo stop these messages: {context['unsubscribe_url']}\n"
    # The envelope sender is per recipient, so a bounce says whose address failed;
    # the From: header stays the provider's.
    headers["From"] = sender_address()
    envelope = reply_address(person["pk"], campaign.pk, "bounce") or sender_address()
    return EmailMessage(
        subject.render(Context(context, autoescape=False)).strip()[:200], text, envelope,
        [person["email"]], headers=headers,
    )  # fmt: skip
