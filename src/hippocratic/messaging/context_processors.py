"""What the customer's own pages show of mail (accounts does not import messaging):
service bulletins, which every customer sees whatever their marketing choices and
whether or not the provider has their address (MSG-1), and the mailing-list switch."""

from django.template import Context, Template

from hippocratic.messaging import campaigns, services
from hippocratic.messaging.models import Campaign
from hippocratic.provider import current_policy

SHOWN = 5


def messaging(request) -> dict:
    if not request.path.startswith("/account/") or not request.user.is_authenticated:
        return {}
    sent = Campaign.objects.filter(kind=Campaign.Kind.BULLETIN, status=Campaign.Status.SENT)
    provider = {"provider": current_policy().provider.name}
    shown = [
        {"subject": c.subject, "sent_at": c.sent_at,
         "text": Template(c.body).render(Context(provider, autoescape=False))}
        for c in sent.order_by("-sent_at")[:SHOWN]
    ]  # fmt: skip
    context = {"bulletins": shown}
    customer_id = request.session.get("hippocratic_customer")
    if customer_id and Campaign.Kind.NEWSLETTER in campaigns.kinds_available():
        context["mailing_list"] = {
            "member": services.is_member(customer_id),
            "consent": services.consent_text(),
        }
    return context
