"""Background work of the messaging app."""

from django.conf import settings
from django.tasks import TaskResultStatus, task
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hippocratic.accounts import notices
from hippocratic.accounts.models import Prospect
from hippocratic.jobs import workers
from hippocratic.messaging import inbound, sending, services
from hippocratic.messaging.models import Campaign, ProspectMembership
from hippocratic.policy.prose import possessive
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose

RETRY_SECONDS = 300


@task()
def send_campaign(campaign_id: int) -> dict:
    """Write the deliveries (once), settle what a dead worker left "sending" (this
    process runs one task at a time, so its own leftovers count as dead too), send what
    is queued; what a mail server deferred is tried again in five minutes. A worker
    that dies running this is reclaimed and the task queued again (jobs.workers)."""
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status == Campaign.Status.DRAFT:
        sending.start(campaign)
    me = workers.me()
    sending.reconcile(campaign, alive=workers.alive() - {me.worker_id})
    counts = sending.send_queued(campaign, worker=me)
    if counts["deferred"]:
        later = timezone.now() + timezone.timedelta(seconds=RETRY_SECONDS)
        send_campaign.using(run_after=later).enqueue(campaign_id)
    return counts


def waiting_or_running(campaign_ids) -> set[int] | None:
    """Which of these campaigns have a sending task queued or running; None where the
    queue is not the database's (RQ keeps its own)."""
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return None
    path = send_campaign.module_path
    wanted = set(campaign_ids)
    found = set()
    for args in DBTaskResult.objects.filter(
        task_path=path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).values_list("args_kwargs", flat=True):
        found.update(a for a in args.get("args", [])[:1] if a in wanted)
    return found


@task()
def send_join_confirmation(membership_id: int) -> bool:
    """The double opt-in's link, to the address that asked to join. Arguments carry the
    membership's id, never the address."""
    membership = (
        ProspectMembership.objects.for_purpose(services.JOINING, Purpose.MARKETING_EMAIL)
        .filter(pk=membership_id, confirmed_at__isnull=True)
        .values("prospect_id", "consent_text").first()
    )  # fmt: skip
    if membership is None:
        return False
    address = (
        Prospect.objects.for_purpose(services.JOINING, Purpose.MARKETING_EMAIL)
        .filter(pk=membership["prospect_id"]).values_list("email", flat=True).first()
    )  # fmt: skip
    if not address:
        return False
    name = current_policy().provider.name
    link = settings.SITE_URL + reverse("messaging:join_confirm",
                                       args=[services.join_token(membership_id)])  # fmt: skip
    notices.mail_address(
        address,
        f"Please confirm: join {possessive(name)} mailing list",
        f"Someone, we hope you, asked to join our mailing list with this address. You "
        f"would be agreeing to: \"{membership['consent_text']}\"\n\nTo confirm, open this "
        f"link within {services.JOIN_DAYS} days:\n\n{link}\n\nIf it was not you, ignore "
        f"this message: we send nothing more, and forget the address within a week.\n\n{name}",
    )  # fmt: skip
    return True


@task()
def forget_unconfirmed_joins() -> int:
    return services.forget_unconfirmed()


@task()
def act_on_inbound_mail() -> dict:
    """What the LMTP server queued (messaging.inbound.accept), acted on: the server
    enqueues this as mail comes, and the scheduler every minute for what is left."""
    return inbound.act_on_queued()
