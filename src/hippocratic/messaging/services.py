"""The mailing list and leaving it (MSG-2, MSG-5): a customer joins with the words
they agreed to, and leaves by one click, by the account page, or by mail."""

from django.db import models, transaction

from hippocratic.accounts.customer_log import record
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.models import OptOut
from hippocratic.messaging.campaigns import MARKETING
from hippocratic.messaging.models import ListMembership
from hippocratic.provider import current_policy, loaded_policy

CONSENT = (
    "Send me {provider}'s promotions, offers and newsletter by e-mail. I can leave at any time."
)


class ListEvent(models.TextChoices):
    """What messaging writes to the customer log."""

    JOINED = "joined_list", "Joined the mailing list"
    LEFT = "left_list", "Left the mailing list"


# A customer keeping their own choice (joining, leaving) serves the service itself;
# marketing reads the list only to send to it.
CHOICES = "essential.service"


def consent_text() -> str:
    return CONSENT.format(provider=current_policy().provider.name)


def is_member(customer_id: int) -> bool:
    me = Actor.for_customer(customer_id)
    return (
        ListMembership.objects.for_purpose(me, MARKETING).filter(customer_id=customer_id).exists()
    )


@transaction.atomic
def join(customer_id: int, source: str = "account page") -> None:
    me = Actor.for_customer(customer_id)
    OptOut.objects.filter(subject="customer", subject_id=customer_id, use=MARKETING).delete()
    rows = ListMembership.objects.for_purpose(me, CHOICES)
    if not rows.filter(customer_id=customer_id).exists():
        rows.create(customer_id=customer_id, source=source, consent_text=consent_text(),
                    policy_version=loaded_policy().version)  # fmt: skip
        record(customer_id, ListEvent.JOINED, source, by=me)


@transaction.atomic
def leave(customer_id: int, how: str, *, by: Actor) -> bool:
    """Opt the customer out of marketing mail and off the list; False if they were out."""
    _, created = OptOut.objects.get_or_create(
        subject="customer", subject_id=customer_id, use=MARKETING
    )
    # Read before the opt-out hides the rows from the marketing purpose's reads.
    ListMembership.objects.for_purpose(by, CHOICES).filter(customer_id=customer_id).delete()
    if created:
        record(customer_id, ListEvent.LEFT, how, by=by)
    return created
