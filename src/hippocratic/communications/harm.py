"""Harmful messages (COM-4): anyone may report one; staff review that one message,
then block access to it, delete it or leave it, recording the ground; the owner is told.

Reviewing is an access case of its own (ground harm_review, scope: the one message),
so the reading is refused and audited like any other without it (COM-2).
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from hippocratic.communications import crypto, mailbox
from hippocratic.communications.models import HarmReport, StoredMessage
from hippocratic.enforcement import cases
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.cases import HARM_REVIEW, grounds_for
from hippocratic.enforcement.models import AccessCase
from hippocratic.purposes import Purpose

# Why staff may act on a message, as recorded and as the owner is told.
GROUNDS = {
    "terms": "It violates our terms of service",
    "customers": "It may harm our customers or others (phishing, malware, fraud)",
    "service": "It may harm our service (an attack, mass unsolicited mail)",
    "law": "The law requires us to remove it",
}
DECISIONS = {
    HarmReport.Status.BLOCKED: "blocked access to",
    HarmReport.Status.DELETED: "deleted",
    HarmReport.Status.DISMISSED: "took no action on",
}
FINDER = Actor.system("communications.harm")


def offered() -> bool:
    return HARM_REVIEW in grounds_for("messages")


def report(customer_id: int, message_id: int, *, reason: str, by_owner: bool) -> HarmReport:
    if not offered():
        raise ValidationError("this provider does not review messages")
    reason = " ".join(reason.split())[:500]
    if not reason:
        raise ValidationError("say what harm the message may do")
    # A report of a message already waiting for review is that report: 300 identical
    # posts were 300 rows (the first report's reason stands; the reviewer reads it).
    waiting = HarmReport.objects.filter(
        customer_id=customer_id, message_id=message_id, by_owner=by_owner,
        status=HarmReport.Status.OPEN,
    )  # fmt: skip
    if found := waiting.first():
        return found
    return HarmReport.objects.create(
        customer_id=customer_id, message_id=message_id, reason=reason, by_owner=by_owner
    )


def report_by_header(address: str, message_id_header: str, *, reason: str) -> HarmReport | None:
    """Someone else reports a message they know by its recipient and Message-ID. The
    answer is the same whether or not we hold it (it tells no one what a mailbox holds)."""
    try:
        customer_id = mailbox.customer_of(address, by=FINDER)
    except mailbox.NoSuchMailbox:
        return None
    lookups = crypto.lookup_keys(customer_id, message_id_header.strip())
    found = StoredMessage.objects.for_purpose(FINDER, Purpose.SERVICE).filter(
        customer_id=customer_id, lookup__in=lookups
    )
    pk = found.values_list("pk", flat=True).first()
    return report(customer_id, pk, reason=reason, by_owner=False) if pk else None


def review_case(report_id: int, user) -> AccessCase:
    """The reviewer's case on the one reported message: opened on their first look."""
    found = HarmReport.objects.get(pk=report_id)
    if found.message_id is None:
        raise ValidationError(f"harm report {report_id} names no message we still hold")
    mine = AccessCase.objects.filter(
        ground=HARM_REVIEW, requested_by=user,
        reason=f"harm report {found.pk}", closed_at__isnull=True,
        expires_at__gt=cases.now(),
    ).first()  # fmt: skip
    return mine or cases.open_case(
        user, customer_id=found.customer_id, what=AccessCase.What.MESSAGES, ground=HARM_REVIEW,
        scope=[found.message_id], reason=f"harm report {found.pk}",
    )  # fmt: skip


def review(report_id: int, user) -> tuple[HarmReport, mailbox.Opened]:
    case = review_case(report_id, user)
    found = HarmReport.objects.get(pk=report_id)
    rows = StoredMessage.objects.under_case(case, user)
    return found, mailbox.open_message(rows, found.message_id, found.customer_id)


def decide(report_id: int, user, *, status: str, ground: str, note: str = "") -> HarmReport:
    """Block, delete or leave the reported message, with the ground; tell the owner."""
    if status not in DECISIONS:
        raise ValidationError(f"unknown decision {status!r}")
    if status != HarmReport.Status.DISMISSED and ground not in GROUNDS:
        raise ValidationError("name the ground for acting on the message")
    case = review_case(report_id, user)
    with transaction.atomic():
        found = HarmReport.objects.select_for_update().get(pk=report_id)
        if found.status != HarmReport.Status.OPEN:
            raise ValidationError(f"harm report {report_id} is already decided")
        rows = StoredMessage.objects.under_case(case, user).filter(pk=found.message_id)
        if status == HarmReport.Status.BLOCKED:
            rows.update(status=StoredMessage.Status.BLOCKED)
        elif status == HarmReport.Status.DELETED:
            rows.delete()
        words = GROUNDS.get(ground, "")
        found.status, found.decided_by, found.decided_at = status, user, cases.now()
        found.ground = "; ".join(filter(None, [words, " ".join(note.split())[:150]]))[:200]
        found.save(update_fields=["status", "decided_by", "decided_at", "ground"])
        AccessCase.objects.filter(pk=case.pk).update(closed_at=cases.now())
        if status != HarmReport.Status.DISMISSED:
            mailbox.notify(
                found.customer_id,
                f"We {DECISIONS[status]} a message in your mailbox",
                f"We {DECISIONS[status]} message number {found.message_id} in your mailbox, "
                f"after a report that it may cause harm.\n\nWhy: {found.ground}.\n\n"
                "If you think we are wrong, reply to our support address.",
            )
    return found
