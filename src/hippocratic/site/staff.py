"""The staff home: one page that links what a staff member's role allows, each with a
count of what needs attention. A count is asked of the gateway as that staff member
(an audited query of ids only); a role that may not ask sees no tile."""

import datetime as dt
from dataclasses import dataclass

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from hippocratic.billing.models import ChargeAttempt
from hippocratic.communications.models import HarmReport
from hippocratic.disclosure.models import Disclosure
from hippocratic.enforcement.actors import Actor, staff_role
from hippocratic.enforcement.gateway import AccessDenied, purpose_for
from hippocratic.enforcement.models import AccessCase
from hippocratic.messaging.models import Campaign
from hippocratic.requests import ledger
from hippocratic.requests.models import Request
from hippocratic.site import health


@dataclass
class Tile:
    title: str
    url: str
    text: str
    count: int | None = None
    attention: str = ""


def _requests(actor) -> Tile:

    waiting = ledger.requests_for(actor).filter(
        status__in=[Request.Status.OPEN, Request.Status.CONFIRMING]
    )
    overdue = waiting.filter(due_at__lt=timezone.now()).count()
    return Tile("Requests", reverse("admin:requests_request_changelist"),
                "Customers' and visitors' requests, by due date.", waiting.count(),
                f"{overdue} overdue" if overdue else "")  # fmt: skip


def _access(actor) -> Tile:
    now = timezone.now()
    reports = HarmReport.objects.filter(status=HarmReport.Status.OPEN).count()
    waiting = AccessCase.objects.filter(approved_at__isnull=True, closed_at__isnull=True,
                                        expires_at__gt=now).count()  # fmt: skip
    return Tile("Access to contents", reverse("communications:cases"),
                "Cases on one customer's mail or records; reports of harmful messages.",
                reports, f"{waiting} case(s) waiting for approval" if waiting else "")  # fmt: skip


def _disclosures(actor) -> Tile:

    waiting = Disclosure.objects.filter(status=Disclosure.Status.REQUESTED).count()
    return Tile("Disclosures", reverse("admin:disclosure_disclosure_changelist"),
                "Legal process and partner shares: record, approve, decline.", waiting,
                "waiting for a second approver" if waiting else "")  # fmt: skip


def _billing(actor) -> Tile:

    since = timezone.now() - dt.timedelta(days=30)
    attempts = ChargeAttempt.objects.for_purpose(actor, purpose_for(ChargeAttempt))
    declined = attempts.filter(status=ChargeAttempt.Status.FAILED, created_at__gte=since).count()
    return Tile("Billing", reverse("admin:billing_invoice_changelist"),
                "Invoices, charges and refunds.", declined,
                "charge(s) declined in 30 days" if declined else "")  # fmt: skip


def _campaigns(actor) -> Tile:

    drafts = Campaign.objects.filter(status=Campaign.Status.DRAFT).count()
    return Tile("Mail to customers", reverse("admin:messaging_campaign_changelist"),
                "Bulletins, newsletters and announcements.", drafts,
                "draft(s)" if drafts else "")  # fmt: skip


def _traffic(actor) -> Tile:
    return Tile(
        "Traffic",
        reverse("tracking:dashboard"),
        "Page views and unique visitors, and their exports.",
    )


def _audit(actor) -> Tile:
    return Tile(
        "Audit log",
        reverse("admin:enforcement_auditentry_changelist"),
        "Every access to personal data, in a hash chain.",
    )


def _background(actor) -> Tile:
    """The worker's and the jobs' state, as /healthz sees it: counts and ages only."""
    now = health.check()
    seen = now.worker_seen_seconds
    worker = "no worker has run" if seen is None else f"worker seen {seen:.0f} s ago"
    head = now.last_checkpoint_seconds
    text = (f"The queue and the scheduled jobs: {now.queue_ready or 0} task(s) waiting; "
            f"{worker}; audit log signed "
            + ("never" if head is None else f"{head / 60:.0f} min ago") + ".")  # fmt: skip
    failed = health.failed_tasks()
    problems = "; ".join(now.problems)
    return Tile("Background work", reverse("admin:jobs_scheduledrun_changelist"), text, failed,
                f"failed task(s){' · ' + problems if problems else ''}" if failed or problems
                else "")  # fmt: skip


# (what, the roles that see it); staff.admin sees every tile.
TILES = (
    (_requests, {"staff.support"}),
    (_access, {"staff.support", "staff.legal"}),
    (_disclosures, {"staff.legal"}),
    (_billing, {"staff.billing"}),
    (_campaigns, {"staff.support", "staff.marketing"}),
    (_traffic, {"staff.analytics", "staff.marketing"}),
    (_audit, set()),
    (_background, set()),
)


def tiles_for(user) -> list[Tile]:
    role = staff_role(user)
    actor = Actor.for_user(user, role)
    shown = []
    for make, roles in TILES:
        if role != "staff.admin" and role not in roles:
            continue
        try:
            shown.append(make(actor))
        except (AccessDenied, LookupError):
            continue  # the policy gives this role no way in here: no tile
    return shown


@staff_member_required
@never_cache
@require_safe
def staff_home(request):
    # The admin's own context: its header's user links (log out) show here too.
    return render(request, "site/staff_home.html", {
        **admin.site.each_context(request), "title": "Staff home",
        "tiles": tiles_for(request.user), "role": staff_role(request.user),
    })  # fmt: skip
