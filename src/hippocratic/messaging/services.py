"""The mailing list and leaving it (MSG-2, MSG-5): a customer joins with the words
they agreed to, and leaves by one click, by the account page, or by mail."""

import datetime as dt

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from hippocratic.accounts.customer_log import record
from hippocratic.accounts.models import Customer, Prospect
from hippocratic.enforcement import tokens
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.decided import decided_elsewhere
from hippocratic.enforcement.models import OptOut
from hippocratic.messaging import campaigns, suppression
from hippocratic.messaging.models import (
    InboundMail,
    ListMembership,
    ProspectMembership,
    Suppression,
)
from hippocratic.policy.prose import possessive
from hippocratic.provider import current_policy, loaded_policy
from hippocratic.purposes import Purpose
from hippocratic.requests import ledger
from hippocratic.requests.models import Request

CONSENT = "Send me {provider} promotions, offers and newsletter by e-mail. I can leave at any time."


class ListEvent(models.TextChoices):
    """What messaging writes to the customer log."""

    JOINED = "joined_list", "Joined the mailing list"
    LEFT = "left_list", "Left the mailing list"


# A customer keeping their own choice (joining, leaving) serves the service itself;
# marketing reads the list only to send to it.


def consent_text() -> str:
    return CONSENT.format(provider=possessive(current_policy().provider.name))


def is_member(customer_id: int) -> bool:
    me = Actor.for_customer(customer_id)
    return (
        ListMembership.objects.for_purpose(me, Purpose.SERVICE)
        .filter(customer_id=customer_id)
        .exists()
    )


@transaction.atomic
def join(customer_id: int, source: str = "account page") -> None:
    me = Actor.for_customer(customer_id)
    OptOut.objects.filter(
        subject="customer", subject_id=customer_id, use=Purpose.MARKETING_EMAIL
    ).delete()
    rows = ListMembership.objects.for_purpose(me, Purpose.SERVICE)
    if not rows.filter(customer_id=customer_id).exists():
        rows.create(customer_id=customer_id, source=source, consent_text=consent_text(),
                    policy_version=loaded_policy().version)  # fmt: skip
        record(customer_id, ListEvent.JOINED, source, by=me)


@transaction.atomic
def leave(customer_id: int, how: str, *, by: Actor) -> bool:
    """Opt the customer out of marketing mail and off the list; False if they were out."""
    _, created = OptOut.objects.get_or_create(
        subject="customer", subject_id=customer_id, use=Purpose.MARKETING_EMAIL
    )
    # Read before the opt-out hides the rows from the marketing purpose's reads.
    ListMembership.objects.for_purpose(by, Purpose.SERVICE).filter(customer_id=customer_id).delete()
    if created:
        record(customer_id, ListEvent.LEFT, how, by=by)
    return created


def leave_recorded(
    customer_id: int, channel: str, how: str, *, by: Actor, request_id: int | None = None
) -> bool:
    """Leave the list as a request in the ledger (CH-3, MSG-3 …): the open request
    `request_id` done, or one made and done now. False if they were already off it."""
    if request_id is not None:
        with ledger.working_on(request_id, by=by, outcome=LEFT) as work:
            left = leave(customer_id, how, by=by)
            work.outcome = LEFT if left else ALREADY_OFF
        return left
    with ledger.done_at_once(Request.Kind.UNSUBSCRIBE, channel, by=by,
                             customer_id=customer_id) as work:  # fmt: skip
        left = leave(customer_id, how, by=by)
        work.outcome = LEFT if left else ALREADY_OFF
    return left


def leave_by_link(customer_id: int) -> bool:
    """The one-click link (RFC 8058), which mail providers POST by themselves and anyone
    holding a message may replay: a request in the ledger only when it changes
    something. A customer already off the list, or erased since the mail went (the
    token outlives the account), records nothing; each replay was a request and four
    audit entries, and an erased customer's was an IntegrityError."""
    me = Actor.for_customer(customer_id)
    out = OptOut.objects.filter(subject="customer", subject_id=customer_id,
                                use=Purpose.MARKETING_EMAIL).exists()  # fmt: skip
    if out or not Customer.objects.for_purpose(me, Purpose.SERVICE).filter(pk=customer_id).exists():
        return False
    return leave_recorded(customer_id, Request.Channel.UNSUBSCRIBE_LINK, "one-click link", by=me)


def prospect_leave_by_link(prospect_id: int) -> bool:
    """The one-click link of someone on the list who is not a customer: as above."""
    out = OptOut.objects.filter(subject="prospect", subject_id=prospect_id,
                                use=Purpose.MARKETING_EMAIL).exists()  # fmt: skip
    if (
        out
        or not Prospect.objects.for_purpose(JOINING, Purpose.MARKETING_EMAIL)
        .filter(pk=prospect_id)
        .exists()
    ):
        return False
    prospect_leave_recorded(prospect_id, Request.Channel.UNSUBSCRIBE_LINK, "one-click link",
                            by=Actor.system("messaging.unsubscribe"))  # fmt: skip
    return True


def leave_for_staff(customer_id: int, by: Actor, how: str) -> str:
    """The ledger's handler of an unsubscribe staff act on (ledger.HANDLERS)."""
    return LEFT if leave(customer_id, how, by=by) else ALREADY_OFF


def leave_on_refusal(customer_id: int, by: Actor, how: str) -> None:
    """A customer refused marketing mail (requests.choices): off the list as well."""
    leave(customer_id, how, by=by)


LEFT, ALREADY_OFF = "left the mailing list", "was already off the list"


# --- People who are not customers: double opt-in (MSG-2) ----------------------------

JOIN_DAYS = 7  # a confirmation link lasts a week; an unconfirmed request goes after it
RESEND_AFTER = dt.timedelta(hours=1)  # one confirmation mail an hour per address
JOINING = Actor.system("messaging.join")
NEW_PROSPECT = "join form"  # the source of a membership whose prospect the form created


def invite(name: str, email: str) -> int | None:
    """Someone asks to join: a prospect (kept apart from customers, ACC-6) with an
    unconfirmed membership; returns its id to mail the link to, or None when a link
    went to that address within the hour or it is on the list already."""
    now = timezone.now()
    with transaction.atomic():
        prospects = Prospect.objects.for_purpose(JOINING, Purpose.MARKETING_EMAIL)
        prospect_id = prospects.filter(email__iexact=email).values_list("pk", flat=True).first()
        source = "join form (returning)"
        if prospect_id is None:
            prospect_id = (
                Prospect.objects.for_purpose(Actor.inquirer(), Purpose.MARKETING_EMAIL)
                .create(name=name[:200], email=email)
                .pk
            )
            source = NEW_PROSPECT
        memberships = ProspectMembership.objects.for_purpose(JOINING, Purpose.MARKETING_EMAIL)
        found = memberships.filter(prospect_id=prospect_id).values(
            "pk", "created_at", "confirmed_at").first()  # fmt: skip
        if found and (found["confirmed_at"] or found["created_at"] > now - RESEND_AFTER):
            return None
        if found:
            memberships.filter(pk=found["pk"]).update(created_at=now)
            return found["pk"]
        return memberships.create(
            prospect_id=prospect_id, source=source, consent_text=consent_text(),
            policy_version=loaded_policy().version, created_at=now,
        ).pk  # fmt: skip


def join_token(membership_id: int) -> str:
    return tokens.join_link.make(membership_id)


def membership_of_token(token: str) -> int | None:
    value = tokens.join_link.check(token, max_age=JOIN_DAYS * 86400)
    return value if isinstance(value, int) else None


@transaction.atomic
def confirm(membership_id: int) -> bool:
    """The link was followed and confirmed: on the list from now. False if it is gone."""
    memberships = ProspectMembership.objects.for_purpose(JOINING, Purpose.MARKETING_EMAIL)
    row = memberships.filter(pk=membership_id).values("prospect_id", "confirmed_at").first()
    if row is None:
        return False
    if row["confirmed_at"] is None:
        memberships.filter(pk=membership_id).update(confirmed_at=timezone.now())
        OptOut.objects.filter(subject="prospect", subject_id=row["prospect_id"],
                              use=Purpose.MARKETING_EMAIL).delete()  # fmt: skip
    return True


@transaction.atomic
def prospect_leave_recorded(
    prospect_id: int, channel: str, how: str, *, by: Actor, request_id: int | None = None
) -> None:
    """A prospect leaves the list as a request in the ledger (it names no customer)."""
    if request_id is not None:
        with ledger.working_on(request_id, by=by, outcome=LEFT):
            prospect_leave(prospect_id, how)
        return
    with ledger.done_at_once(Request.Kind.UNSUBSCRIBE, channel, by=by, customer_id=None,
                             requester=Request.Requester.PROSPECT) as work:  # fmt: skip
        prospect_leave(prospect_id, how)
        work.outcome = LEFT


def prospect_leave(prospect_id: int, how: str) -> None:
    """Off the list, and opted out of marketing mail (by a link, a reply, a bounce)."""
    # Deleted first: once opted out, the marketing purpose no longer sees their rows.
    ProspectMembership.objects.for_purpose(JOINING, Purpose.MARKETING_EMAIL).filter(
        prospect_id=prospect_id
    ).delete()
    OptOut.objects.get_or_create(
        subject="prospect", subject_id=prospect_id, use=Purpose.MARKETING_EMAIL
    )


def forget_unconfirmed(now=None) -> int:
    """Requests to join never confirmed within the week go, with the prospect the form
    created for them: an address nobody confirmed is not kept."""
    if not campaigns.prospect_list_open():
        return 0  # no list for prospects under this policy: no one asked to join one
    cutoff = (now or timezone.now()) - dt.timedelta(days=JOIN_DAYS)
    memberships = ProspectMembership.objects.for_purpose(JOINING, Purpose.MARKETING_EMAIL)
    stale = memberships.filter(confirmed_at__isnull=True, created_at__lt=cutoff)
    created_here = list(stale.filter(source=NEW_PROSPECT).values_list("prospect_id", flat=True))
    count = stale.count()
    with transaction.atomic():
        stale.delete()
        Prospect.objects.for_purpose(JOINING, Purpose.MARKETING_EMAIL).filter(
            pk__in=created_here
        ).delete()
    return count


# --- erasure -----------------------------------------------------------------------------


def forget_erased(sender, *, customer_id, by, **kwargs):
    """What messaging keeps of an erased customer (the `erasing` signal), read once:
    - their address stays only as a keyed hash: re-imported, it is never mailed
      marketing again;
    - their mail still waiting for the worker goes with them (acted on afterwards, an
      unsubscribe would become a staff request naming the address). Queued rows name no
      customer: their sender, or the reply+ or bounce+ address they came to, says whose
      they are. The erasure's own audit entry covers their category."""
    address = ""
    if "user.contact.email" in current_policy().collected_categories("customer"):
        rows = Customer.objects.for_purpose(by, Purpose.SERVICE).filter(pk=customer_id)
        address = rows.values_list("email", flat=True).first() or ""
        suppression.suppress(address, Suppression.Reason.ERASED)
    theirs = Q(who=str(customer_id)) | (Q(sender__iexact=address) if address else Q())
    with decided_elsewhere():
        InboundMail.internal.filter(theirs).delete()
