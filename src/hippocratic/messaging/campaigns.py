"""Campaigns: who each kind reaches, for which purpose, and what its template may name.

    bulletin      essential.service.notifications  every active customer, whatever
                                                    their marketing choices (MSG-1)
    newsletter    marketing.communications.email    mailing-list members who have not
                                                    opted out (MSG-2)
    announcement  marketing.communications.email    customers who have not opted out;
                                                    the e-mail address only (MSG-6)

Recipients are read through the gateway with the campaign's purpose, so an opt-out
(an OptOut row) leaves a customer out of marketing and never out of a bulletin.
"""

from dataclasses import dataclass

from django.template import Template, TemplateSyntaxError
from django.template.base import VariableNode

from hippocratic.accounts.models import Customer, Prospect
from hippocratic.billing.models import Invoice, PaymentMethod
from hippocratic.enforcement.actors import Actor
from hippocratic.enforcement.fields import category_of
from hippocratic.messaging import suppression
from hippocratic.messaging.models import BounceScore, Campaign, ProspectMembership
from hippocratic.policy import words
from hippocratic.policy.prose import lower
from hippocratic.provider import current_engine, current_policy
from hippocratic.purposes import Purpose

SENDER = Actor.system("messaging.send")


@dataclass(frozen=True)
class KindRule:
    purpose: str
    promise: str  # the policy must make it for the kind to exist
    list_only: bool = False  # only mailing-list members
    fields: tuple[str, ...] | None = None  # the customer fields a template may name


KINDS = {
    Campaign.Kind.BULLETIN: KindRule(Purpose.NOTIFICATIONS, "MSG-1"),
    Campaign.Kind.NEWSLETTER: KindRule(Purpose.MARKETING_EMAIL, "MSG-2", list_only=True),
    Campaign.Kind.ANNOUNCEMENT: KindRule(Purpose.MARKETING_EMAIL, "MSG-6", fields=("email",)),
}
# Objects a template might reach for, and the models whose fields they are: asked of
# the engine like any other use, so that billing data is refused by the policy (PAY-2).
OBJECTS = {"customer": Customer, "card": PaymentMethod, "invoice": Invoice}


class CampaignRefused(ValueError):
    """The campaign may not go as written; the message says why, in one line."""


def mails_customers() -> bool:
    return "user.contact.email" in current_policy().collected_categories("customer")


def kinds_available() -> list[str]:
    """The kinds this provider's policy allows: its promise made and its purpose
    declared. A newsletter needs e-mail addresses; a bulletin does not: it is shown on
    every customer's account page too, and mailed where there is an address. Nor does
    an announcement: where the policy keeps no address (Quality) it is shown on the
    account page of every customer who has not opted out of product news (MSG-6)."""
    policy = current_policy()
    return [
        kind for kind, rule in KINDS.items()
        if rule.promise in policy.promises and rule.purpose in policy.purposes
        and (kind in ON_THE_ACCOUNT_PAGE or mails_customers())
    ]  # fmt: skip


# Kinds shown on the account page where the policy keeps no address to mail them to.
ON_THE_ACCOUNT_PAGE = (Campaign.Kind.BULLETIN, Campaign.Kind.ANNOUNCEMENT)


def template_fields(campaign: Campaign) -> list[str]:
    """The customer fields the campaign's template names; CampaignRefused if it names
    anything the campaign's purpose may not use (billing data never: MSG-6, PAY-2)."""
    if campaign.kind not in kinds_available():
        raise CampaignRefused(f"this provider's policy makes no {campaign.kind} campaigns")
    rule, policy = KINDS[campaign.kind], current_policy()
    try:
        nodes = Template(campaign.subject + "\n" + campaign.body).nodelist.get_nodes_by_type(
            VariableNode
        )
    except TemplateSyntaxError as error:
        raise CampaignRefused(f"the template does not parse: {error}") from None
    fields = {"email"} if mails_customers() else set()
    for node in nodes:
        path = str(node.filter_expression.var).split(".")
        if path[0] in ("provider", "unsubscribe_url"):
            continue
        model = OBJECTS.get(path[0])
        if model is None or len(path) != 2:
            raise CampaignRefused(f"{{{{ {'.'.join(path)} }}}} is not available to campaigns")
        try:
            field = model._meta.get_field(path[1])
        except Exception:
            raise CampaignRefused(f"{path[0]} has no field {path[1]!r}") from None
        category = category_of(field)
        decision = current_engine().decide("system", rule.purpose, {category}, "customer")
        if category is None or not decision.allowed:
            # In the policy's words for staff; the rule's path is in the audit log.
            what = words.category(policy, category) if category else path[1]
            why = ("our privacy policy does not allow it" if category
                   else "it is not personal data a campaign can use")  # fmt: skip
            raise CampaignRefused(
                f"{{{{ {path[0]}.{path[1]} }}}} ({lower(what)}) may not be used to "
                f"{lower(words.use(policy, rule.purpose))}: {why}"
            )
        if model is not Customer or (rule.fields is not None and path[1] not in rule.fields):
            raise CampaignRefused(
                f"a {campaign.kind} may name only {', '.join(rule.fields or ('customer',))}"
            )
        fields.add(path[1])
    return sorted(fields)


def recipients(campaign: Campaign, fields: list[str], only: list[int] | None = None):
    """{customer id: {field: value}} for the campaign's audience, read as its purpose."""
    rule = KINDS[campaign.kind]
    if not mails_customers():
        return {}
    # Open accounts only, by the account's technical closing time: the status is
    # account data, which a marketing purpose may not read (or filter on).
    rows = Customer.objects.for_purpose(SENDER, rule.purpose).filter(closed_at__isnull=True)
    if rule.list_only:
        rows = rows.filter(listmembership_set__isnull=False)
    if only is not None:
        rows = rows.filter(pk__any=only)
    found = {row["pk"]: row for row in rows.exclude(email="").values("pk", *fields)}
    if rule.purpose == Purpose.MARKETING_EMAIL:  # never to an erased or bounced address
        gone = suppression.suppressed(row["email"] for row in found.values())
        found = {pk: row for pk, row in found.items() if row["email"] not in gone}
    stopped = set(
        BounceScore.objects.for_purpose(SENDER, rule.purpose)
        .filter(customer_id__any=list(found), disabled_at__isnull=False)
        .values_list("customer_id", flat=True)
    )
    return {pk: row for pk, row in found.items() if pk not in stopped}


def prospect_list_open() -> bool:
    """Whether people who are not customers may join the list: the policy collects a
    list membership from prospects, and the provider sends newsletters."""
    policy = current_policy()
    return (
        Campaign.Kind.NEWSLETTER in kinds_available()
        and "user.privacy_preferences" in policy.collected_categories("prospect")
        and "user.contact.email" in policy.collected_categories("prospect")
    )


def prospect_recipients(campaign: Campaign, only: list[int] | None = None) -> dict:
    """{prospect id: {pk, email, name}} for a newsletter: prospects who confirmed their
    place on the list and have not left, read as the campaign's purpose."""

    rule = KINDS[campaign.kind]
    if not rule.list_only or not prospect_list_open():
        return {}
    confirmed = ProspectMembership.objects.for_purpose(SENDER, rule.purpose).filter(
        confirmed_at__isnull=False
    )
    rows = Prospect.objects.for_purpose(SENDER, rule.purpose).filter(
        pk__in=confirmed.values("prospect_id")
    )
    if only is not None:
        rows = rows.filter(pk__any=only)
    found = {row["pk"]: row for row in rows.exclude(email="").values("pk", "email", "name")}
    gone = suppression.suppressed(row["email"] for row in found.values())
    return {pk: row for pk, row in found.items() if row["email"] not in gone}
