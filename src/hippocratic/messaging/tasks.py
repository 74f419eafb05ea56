"""Background work of the messaging app."""

from django.tasks import task
from django.utils import timezone

from hippocratic.messaging import sending
from hippocratic.messaging.models import Campaign

RETRY_SECONDS = 300


@task()
def send_campaign(campaign_id: int) -> dict:
    """Write the deliveries (once), send what is queued; what a mail server deferred
    is tried again in five minutes."""
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status == Campaign.Status.DRAFT:
        sending.start(campaign)
    counts = sending.send_queued(campaign)
    if counts["deferred"]:
        later = timezone.now() + timezone.timedelta(seconds=RETRY_SECONDS)
        send_campaign.using(run_after=later).enqueue(campaign_id)
    return counts
