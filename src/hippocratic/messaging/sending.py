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
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.db import transaction
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from hippocratic.messaging import campaigns
from hippocratic.messaging.inbound import reply_address
from hippocratic.messaging.models import Campaign, Delivery
from hippocratic.provider import current_policy

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


def _sender() -> str:
    contact = current_policy().provider.contacts.support
    return contact.email or settings.DEFAULT_FROM_EMAIL


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
    """Send the campaign's queued deliveries. Temporary SMTP errors leave a delivery
    queued for the next try; permanent ones mark it failed. Returns counts."""
    rule = campaigns.KINDS[campaign.kind]
    fields = campaigns.template_fields(campaign)
    rate = rate_per_second or getattr(settings, "HIPPOCRATIC_MAIL_RATE", 50)
    deliveries = Delivery.objects.for_purpose(campaigns.SENDER, rule.purpose)
    counts = {"sent": 0, "failed": 0, "deferred": 0}
    subject, body = Template(campaign.subject), Template(campaign.body)
    last = 0
    while True:
        batch = list(
            deliveries.filter(campaign=campaign, status=Delivery.Status.QUEUED, pk__gt=last)
            .order_by("pk").values_list("pk", "customer_id")[:CHUNK]
        )  # fmt: skip
        if not batch:
            break
        last = batch[-1][0]
        # Read again, as the campaign's purpose: whoever opted out since is left out.
        people = campaigns.recipients(campaign, fields, only=[c for _, c in batch])
        for delivery_id, customer_id in batch:
            mine = deliveries.filter(pk=delivery_id, status=Delivery.Status.QUEUED)
            if customer_id not in people:
                mine.update(status=Delivery.Status.FAILED)  # opted out or left meanwhile
                continue
            if not mine.update(status=Delivery.Status.SENDING, attempts=1):
                continue  # another worker took it
            message = _message(campaign, subject, body, people[customer_id])
            try:
                message.send()
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError):
                deliveries.filter(pk=delivery_id).update(status=Delivery.Status.QUEUED)
                counts["deferred"] += 1
                continue
            except smtplib.SMTPResponseException as error:
                temporary = 400 <= error.smtp_code < 500
                status = Delivery.Status.QUEUED if temporary else Delivery.Status.FAILED
                deliveries.filter(pk=delivery_id).update(status=status)
                counts["deferred" if temporary else "failed"] += 1
                continue
            deliveries.filter(pk=delivery_id).update(
                status=Delivery.Status.SENT, sent_at=timezone.now(),
                message_id=message.extra_headers["Message-ID"],
            )  # fmt: skip
            counts["sent"] += 1
            time.sleep(1 / rate if rate else 0)
    if not deliveries.filter(campaign=campaign, status=Delivery.Status.QUEUED).exists():
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.SENT, sent_at=timezone.now()
        )
    return counts


def _message(campaign, subject, body, person: dict) -> EmailMessage:
    context = {"customer": person, "provider": current_policy().provider.name}
    headers = {"Message-ID": make_msgid(domain=_sender().rsplit("@", 1)[-1])}
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
    headers["From"] = _sender()
    envelope = reply_address(person["pk"], campaign.pk, "bounce") or _sender()
    return EmailMessage(
        subject.render(Context(context, autoescape=False)).strip()[:200], text, envelope,
        [person["email"]], headers=headers,
    )  # fmt: skip
