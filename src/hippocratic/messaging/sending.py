"""Sending a campaign: deliveries written first, one per recipient, then each message
rendered, handed to the mail server and marked. A delivery is marked "sending" before
it goes, with the Message-ID it will carry and the worker sending it, so a worker
killed mid-send never sends it twice. What a dead worker left "sending" is reconciled
from its journal (messaging.journal): accepted by the server, sent; never handed over,
queued again; handed over with no answer, "unknown" (at most once), counted in the
campaign's report.

Marketing messages carry RFC 8058's one-click unsubscribe: a List-Unsubscribe header
with an https link holding a signed per-recipient token and a mailto, and
List-Unsubscribe-Post. Only a POST to that link unsubscribes (MSG-5).
"""

import os
import smtplib
import time
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import make_msgid
from django.db import transaction
from django.template import Context, Template
from django.template.base import VariableNode
from django.urls import reverse
from django.utils import timezone

from hippocratic.enforcement import tokens
from hippocratic.messaging import campaigns, journal
from hippocratic.messaging.inbound import reply_address
from hippocratic.messaging.models import Campaign, Delivery, ProspectDelivery
from hippocratic.messaging.wire import hand_over, wire_bytes
from hippocratic.provider import current_policy, sender, sender_address
from hippocratic.purposes import Purpose

UNSUBSCRIBE_SUBJECT = "Remove From Mailing List"
CHUNK = 1000


@dataclass
class LocalSender:
    """Who sends, where no worker says (a test, a shell): this process, no lease."""

    worker_id: str = f"local-{journal.HOST[:40]}-{os.getpid()}"

    def lease_held(self) -> bool:
        return True


def unsubscribe_token(recipient: int | str, campaign_id: int) -> str:
    """<recipient>.<campaign>:<signature>: an HMAC, no JSON to build for each message.
    A customer is their number, a prospect "p" and theirs."""
    return tokens.unsubscribe_link.sign(f"{recipient}.{campaign_id}")


def recipient_of_token(token: str) -> tuple[str, int] | None:
    """("customer", id) or ("prospect", id) from a valid token; None otherwise."""
    signed = tokens.unsubscribe_link.unsign(token)
    if signed is not None:
        who = signed.split(".", 1)[0]
        try:
            return ("prospect", int(who[1:])) if who.startswith("p") else ("customer", int(who))
        except ValueError:  # an older link's "<JSON>:<time>", which passes unsign() too
            pass
    # Links in messages sent before the compact form: a signed {"c": customer}.
    old = tokens.unsubscribe_link.check(token)
    try:
        return "customer", int(old["c"])
    except (KeyError, TypeError, ValueError):
        return None


def customer_of_token(token: str) -> int | None:
    found = recipient_of_token(token)
    return found[1] if found and found[0] == "customer" else None


def _names_person(template: Template) -> bool:
    """Whether a template names anything that differs between recipients."""
    return any(
        str(node.filter_expression.var).split(".")[0] in ("customer", "unsubscribe_url")
        for node in template.nodelist.get_nodes_by_type(VariableNode)
    )


class _Rendering:
    """A campaign's subject and body, rendered once where they name no one, and the
    unsubscribe link's address, reversed once."""

    def __init__(self, campaign: Campaign):
        self.campaign = campaign
        self.subject, self.body = Template(campaign.subject), Template(campaign.body)
        self.provider = current_policy().provider.name
        self.fixed_subject = self._fixed(self.subject)
        self.fixed_body = self._fixed(self.body)
        self.marketing = campaigns.KINDS[campaign.kind].purpose == Purpose.MARKETING_EMAIL
        placeholder = "TOKEN0"
        self.link = settings.SITE_URL + reverse("messaging:unsubscribe", args=[placeholder])
        self.link_head, self.link_tail = self.link.split(placeholder)
        self.mailto = _unsubscribe_mailto()
        self.domain = sender_address().rsplit("@", 1)[-1]
        self.sender = sender_address()  # the envelope's, where no bounce+ address is
        self.from_header = sender()

    def _fixed(self, template: Template) -> str | None:
        if _names_person(template):
            return None
        return template.render(Context({"provider": self.provider}, autoescape=False))

    def render(self, template: Template, fixed: str | None, context: dict) -> str:
        if fixed is not None:
            return fixed
        return template.render(Context(context, autoescape=False))


def _unsubscribe_mailto() -> str | None:
    contact = getattr(current_policy().provider.contacts, "unsubscribe", None)
    if contact is None or not contact.email:
        return None
    return f"mailto:{contact.email}?subject={quote(UNSUBSCRIBE_SUBJECT)}"


@dataclass(frozen=True)
class Audience:
    """Who a campaign's messages go to: customers, or prospects on the list (whose
    tokens and reply addresses start with "p")."""

    model: type
    subject_field: str  # customer_id, prospect_id
    prefix: str  # "" for customers, "p" for prospects

    def reaches(self, campaign) -> bool:
        """Whether the policy in force gives this audience the campaign at all (no
        prospects where it has none, no mail where it collects no address)."""
        if self.prefix:
            return campaigns.KINDS[campaign.kind].list_only and campaigns.prospect_list_open()
        return campaigns.mails_customers()

    def recipients(self, campaign, fields, only=None) -> dict:
        if self.prefix:
            return campaigns.prospect_recipients(campaign, only=only)
        return campaigns.recipients(campaign, fields, only=only)


AUDIENCES = (Audience(Delivery, "customer_id", ""), Audience(ProspectDelivery, "prospect_id", "p"))


def start(campaign: Campaign) -> int:
    """Check the template, choose the recipients and write their deliveries; returns
    how many. CampaignRefused if the campaign may not go as written."""
    fields = campaigns.template_fields(campaign)
    purpose = campaigns.KINDS[campaign.kind].purpose
    now, total = timezone.now(), 0
    with transaction.atomic():
        for audience in (a for a in AUDIENCES if a.reaches(campaign)):
            chosen = audience.recipients(campaign, fields)
            # Plain rows, not model instances; a delivery written before (a retried
            # start) is kept as it is: one per campaign and recipient.
            audience.model.objects.for_purpose(campaigns.SENDER, purpose).insert_rows(
                ["campaign_id", audience.subject_field, "status", "message_id", "attempts",
                 "created_at", "worker"],
                [(campaign.pk, pk, Delivery.Status.QUEUED, "", 0, now, "") for pk in chosen],
                ignore_conflicts=True,
            )  # fmt: skip
            total += len(chosen)
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    return total


def send_queued(campaign: Campaign, *, rate_per_second: float | None = None,
                worker=None) -> dict:  # fmt: skip
    """Send the campaign's queued deliveries over one connection to the mail server.
    Each chunk is marked "sending" in one write before any of it goes, and its answers
    are written in one more: a killed worker leaves at most a chunk "sending", never
    sent twice, and its journal tells what of it went (reconcile). Temporary SMTP
    errors leave a delivery queued for the next try; permanent ones mark it failed.
    `worker` (jobs.workers' identity) names the sender; when its lease runs out it
    stops handing messages over. Returns counts."""
    rate = getattr(settings, "HIPPOCRATIC_MAIL_RATE", 50) if rate_per_second is None else (
        rate_per_second)  # fmt: skip
    counts = {"sent": 0, "failed": 0, "deferred": 0}
    rendering = _Rendering(campaign)
    rendering.worker = worker or LocalSender()
    mailer = mailers.default
    started = time.monotonic()
    with mailer:
        for audience in (a for a in AUDIENCES if a.reaches(campaign)):
            if not _send_to(audience, campaign, rendering, mailer, counts, rate, started):
                break  # the server went away: the rest stays queued for the retry
    purpose = campaigns.KINDS[campaign.kind].purpose
    queued = any(
        a.model.objects.for_purpose(campaigns.SENDER, purpose)
        .filter(campaign=campaign, status=Delivery.Status.QUEUED).exists()
        for a in AUDIENCES
        if a.reaches(campaign)
    )  # fmt: skip
    if not queued:
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.SENT, sent_at=timezone.now()
        )
    return counts


def reconcile(campaign: Campaign, alive: set[str]) -> dict:
    """The deliveries of `campaign` left "sending" by a worker not in `alive`, settled
    from that worker's journal: accepted by the server, sent; refused, queued or failed
    as the server said; never handed over (the journal lists every start: same host,
    same boot), queued again; otherwise "unknown", never sent again. Returns counts."""
    purpose = campaigns.KINDS[campaign.kind].purpose
    counts = {"sent": 0, "queued": 0, "failed": 0, "unknown": 0}
    done = []
    for audience in (a for a in AUDIENCES if a.reaches(campaign)):
        deliveries = audience.model.objects.for_purpose(campaigns.SENDER, purpose)
        with transaction.atomic():
            # Locked, and read again under the lock: two workers settling the same dead
            # worker's rows settle them once.
            left = list(
                deliveries.filter(campaign=campaign, status=Delivery.Status.SENDING)
                .select_for_update().values_list("pk", "worker", "message_id")
            )  # fmt: skip
            answers = []
            for worker_id in {w for _, w, _ in left if w not in alive}:
                record = journal.read(worker_id, campaign.pk)
                done.append(record)
                for pk, _, message_id in (row for row in left if row[1] == worker_id):
                    status, sent_at = _settled(record, message_id)
                    counts[status] += 1
                    answers.append((pk, status, sent_at))
            deliveries.update_rows(["status", "sent_at"], answers)
    for record in done:
        journal.forget(record)
    return counts


def _settled(record, message_id: str) -> tuple[str, object]:
    if message_id and message_id in record.accepted:
        return Delivery.Status.SENT, timezone.now()
    if message_id and message_id in record.refused:
        return Delivery.Status.FAILED, None
    if message_id and (
        message_id in record.deferred or (record.complete and message_id not in record.started)
    ):
        return Delivery.Status.QUEUED, None
    return Delivery.Status.UNKNOWN, None


def report(campaign: Campaign) -> dict:
    """How many of the campaign's deliveries are in each state, customers and prospects
    together: queued, sending, sent, failed, unknown (handed over as a worker died)."""
    purpose = campaigns.KINDS[campaign.kind].purpose
    counts = dict.fromkeys(Delivery.Status.values, 0)
    for audience in (a for a in AUDIENCES if a.reaches(campaign)):
        rows = audience.model.objects.for_purpose(campaigns.SENDER, purpose).filter(
            campaign=campaign
        )
        for status in counts:
            counts[status] += rows.filter(status=status).count()
    return counts


def _send_to(audience, campaign, rendering, mailer, counts, rate, started) -> bool:
    """One audience's queued deliveries, chunk by chunk; False if the server went away."""
    fields = campaigns.template_fields(campaign)
    deliveries = audience.model.objects.for_purpose(
        campaigns.SENDER, campaigns.KINDS[campaign.kind].purpose
    )
    worker = rendering.worker
    last = 0
    while True:
        queued = deliveries.filter(campaign=campaign, status=Delivery.Status.QUEUED)
        chunk = None
        with transaction.atomic():
            # The next chunk, locked (another worker skips it) and marked "sending",
            # with each message's Message-ID and this worker, before any of it goes;
            # its journal file is there before the mark.
            batch = list(queued.filter(pk__gt=last).order_by("pk").select_for_update(
                skip_locked=True).values_list("pk", audience.subject_field)[:CHUNK])  # fmt: skip
            if batch:
                chunk = journal.Chunk(worker.worker_id, campaign.pk, audience.prefix, batch[0][0])
                ids = {d: make_msgid(domain=rendering.domain) for d, _ in batch}
                deliveries.update_rows(
                    ["status", "attempts", "message_id", "worker"],
                    [(d, Delivery.Status.SENDING, 1, ids[d], worker.worker_id) for d, _ in batch],
                )
        if not batch:
            return True
        last = batch[-1][0]
        # Read again, as the campaign's purpose: whoever opted out since is left out.
        people = audience.recipients(campaign, fields, only=[c for _, c in batch])
        answers, going = [], []
        for delivery_id, person_id in batch:
            if person_id not in people:  # opted out or left meanwhile
                answers.append((delivery_id, Delivery.Status.FAILED, "", None))
            else:
                going.append((delivery_id, people[person_id], ids[delivery_id]))
        ahead = _Ahead(rendering, audience.prefix, going)
        for delivery_id, message, data in ahead:
            if not counts.get("server_gone") and not worker.lease_held():
                counts["server_gone"] = True  # this worker may be taken for dead: stop
                counts["deferred"] += 1
            if counts.get("server_gone"):  # back in the queue for the next try
                answers.append((delivery_id, Delivery.Status.QUEUED, "", None))
                continue
            answers.append((delivery_id, *_send(mailer, message, data, counts, ahead.steps, chunk)))
            if rate:
                _pace(started, counts["sent"], rate)
        deliveries.update_rows(["status", "message_id", "sent_at"], answers)
        chunk.done()
        if counts.pop("server_gone", False):
            return False


class _Ahead:
    """A chunk's messages, each written (rendered, then as the bytes SMTP carries) one
    ahead of its sending: `steps` write the next while the server answers for the last,
    so the two overlap instead of taking turns."""

    def __init__(self, rendering: _Rendering, prefix: str, going: list[tuple[int, dict]]):
        self.rendering, self.prefix, self.going = rendering, prefix, going
        self.prepared: dict[int, object] = {}  # index -> message, (message, bytes) or error
        self.next = 0
        self.steps = (self._render, self._write)

    def _render(self) -> None:
        if self.next < len(self.going) and self.next not in self.prepared:
            try:
                _, person, message_id = self.going[self.next]
                self.prepared[self.next] = _message(self.rendering, person, self.prefix,
                                                    message_id)  # fmt: skip
            except Exception as error:  # raised at its own turn, not mid-way through another
                self.prepared[self.next] = error

    def _write(self) -> None:
        message = self.prepared.get(self.next)
        if isinstance(message, EmailMessage):
            try:
                self.prepared[self.next] = message, wire_bytes(message)
            except Exception as error:
                self.prepared[self.next] = error

    def __iter__(self):
        while self.next < len(self.going):
            self._render()
            self._write()
            prepared = self.prepared.pop(self.next)
            if isinstance(prepared, Exception):
                raise prepared
            message, data = prepared
            delivery_id = self.going[self.next][0]
            self.next += 1
            yield delivery_id, message, data


def _hand_over(mailer, message: EmailMessage, data: bytes | None, meanwhile) -> None:
    """Over the SMTP backend's open connection, the message's bytes as written by
    messaging.wire (Django's MIME builder is twice as slow as the sending itself);
    through the backend's send_messages otherwise (files in development, tests)."""
    if data is None or not isinstance(mailer, SMTPBackend) or not mailer.connection:
        mailer.send_messages([message])
    else:
        hand_over(mailer.connection, message.from_email, message.to[0], data, meanwhile)


def _send(mailer, message: EmailMessage, data, counts: dict, meanwhile=(), chunk=None) -> tuple:
    """(status, Message-ID, sent at) of one message handed to the mail server, noted in
    the chunk's journal before it goes and when the server answers."""
    message_id = message.extra_headers["Message-ID"]
    if chunk:
        chunk.note("S", message_id)
    try:
        _hand_over(mailer, message, data, meanwhile)
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as error:
        # The server refused this message (or its one recipient); 4xx: later, 5xx: never.
        code = getattr(error, "smtp_code", None) or next(iter(error.recipients.values()))[0]
        temporary = 400 <= code < 500
        counts["deferred" if temporary else "failed"] += 1
        if chunk:
            chunk.note("T" if temporary else "P", message_id)
        return (Delivery.Status.QUEUED if temporary else Delivery.Status.FAILED), "", None
    except (smtplib.SMTPException, OSError):  # the server went away: try again later
        counts["deferred"] += 1
        counts["server_gone"] = True
        return Delivery.Status.QUEUED, "", None  # no answer: unknown if killed before this
    if chunk:
        chunk.note("A", message_id)
    counts["sent"] += 1
    return Delivery.Status.SENT, message_id, timezone.now()


def _pace(started: float, sent: int, rate: float) -> None:
    """Keep to `rate` messages a second on average (HIPPOCRATIC_MAIL_RATE; 0: no limit)."""
    ahead = sent / rate - (time.monotonic() - started)
    if ahead > 0:
        time.sleep(ahead)


def _message(rendering: _Rendering, person: dict, prefix: str = "",
             message_id: str | None = None) -> EmailMessage:  # fmt: skip
    """One recipient's message; `prefix` "p" marks a prospect's tokens and addresses;
    `message_id` the one its delivery recorded before it goes."""
    campaign = rendering.campaign
    context = {"customer": person, "provider": rendering.provider}
    # RFC 3834: made by a program, so no responder answers it (issue 30, item 3).
    headers = {
        "Message-ID": message_id or make_msgid(domain=rendering.domain),
        "Auto-Submitted": "auto-generated",
    }
    who = f"{prefix}{person['pk']}"
    if rendering.marketing:
        token = unsubscribe_token(who, campaign.pk)
        link = rendering.link_head + token + rendering.link_tail
        context["unsubscribe_url"] = link
        targets = [f"<{link}>"] + ([f"<{rendering.mailto}>"] if rendering.mailto else [])
        headers["List-Unsubscribe"] = ", ".join(targets)
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        if reply := reply_address(who, campaign.pk):  # a reply opts out (MSG-4)
            headers["Reply-To"] = reply
    text = rendering.render(rendering.body, rendering.fixed_body, context)
    if "unsubscribe_url" in context and context["unsubscribe_url"] not in text:
        text += f"\n\n--\nTo stop these messages: {context['unsubscribe_url']}\n"
    # The envelope sender is per recipient, so a bounce says whose address failed;
    # the From: header stays the provider's.
    headers["From"] = rendering.from_header
    envelope = reply_address(who, campaign.pk, "bounce") or rendering.sender
    subject = rendering.render(rendering.subject, rendering.fixed_subject, context)
    return EmailMessage(subject.strip()[:200], text, envelope, [person["email"]],
                        headers=headers)  # fmt: skip
