"""What the customer's own pages show of mail (accounts does not import messaging):
service bulletins, which every customer sees whatever their marketing choices and
whether or not the provider has their address (MSG-1); product news where the provider
keeps no address, to customers who have not opted out of it (MSG-6); and the
mailing-list switch."""

from django.template import Context, Template

from hippocratic.accounts.models import Customer
from hippocratic.enforcement.actors import Actor
from hippocratic.messaging import campaigns, services
from hippocratic.messaging.models import Campaign
from hippocratic.provider import current_policy
from hippocratic.purposes import Purpose

SHOWN = 5


def messaging(request) -> dict:
    if not request.path.startswith("/account/") or not request.user.is_authenticated:
        return {}
    sent = Campaign.objects.filter(kind=Campaign.Kind.BULLETIN, status=Campaign.Status.SENT)
    customer_id = request.session.get("hippocratic_customer")
    if customer_id and _shown_product_news(customer_id):
        sent = Campaign.objects.filter(
            kind__in=campaigns.ON_THE_ACCOUNT_PAGE, status=Campaign.Status.SENT
        )
    shown = []
    for campaign in sent.order_by("-sent_at")[:SHOWN]:
        context = Context(_fields_of(campaign, customer_id), autoescape=False)
        shown.append({"subject": Template(campaign.subject).render(context),
                      "sent_at": campaign.sent_at,
                      "text": Template(campaign.body).render(context)})  # fmt: skip
    context = {"bulletins": shown}
    if customer_id and Campaign.Kind.NEWSLETTER in campaigns.kinds_available():
        context["mailing_list"] = {
            "member": services.is_member(customer_id),
            "consent": services.consent_text(),
        }
    return context


def _shown_product_news(customer_id: int) -> bool:
    """Whether product news goes on this customer's account page: the policy keeps no
    address to mail it to (Quality), offers announcements, and the customer has not
    opted out of the purpose (the gateway leaves out whoever did)."""
    if campaigns.mails_customers():
        return False
    if Campaign.Kind.ANNOUNCEMENT not in campaigns.kinds_available():
        return False
    rule = campaigns.KINDS[Campaign.Kind.ANNOUNCEMENT]  # read as the campaigns read
    rows = Customer.objects.for_purpose(campaigns.SENDER, rule.purpose)
    return rows.filter(pk=customer_id).exists()


def _fields_of(campaign: Campaign, customer_id: int | None) -> dict:
    """What the bulletin's template names of this customer ({{ customer.name }}), read
    as the customer's own, for the bulletin's purpose: the page shows them what their
    mail would have said (MSG-1)."""
    context = {"provider": current_policy().provider.name}
    if not customer_id:
        return context
    try:
        fields = campaigns.template_fields(campaign)
    except campaigns.CampaignRefused:  # the policy in force no longer allows it
        return context
    rows = Customer.objects.for_purpose(Actor.for_customer(customer_id), Purpose.NOTIFICATIONS)
    mine = rows.filter(pk=customer_id).values(*fields).first() if fields else None
    if mine:
        context["customer"] = mine
    return context
