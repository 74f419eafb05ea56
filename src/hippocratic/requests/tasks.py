"""Mail about requests, sent by the worker. A task's arguments carry a request id,
never an address: the task reads the address through the gateway itself."""

from django.conf import settings
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse

from hippocratic.accounts import notices
from hippocratic.enforcement.actors import Actor
from hippocratic.provider import current_policy
from hippocratic.requests import identity, ledger
from hippocratic.requests.signals import RequestMail

MAILER = Actor.system("requests.mail")
SUBJECTS = {
    RequestMail.CONFIRM: "Please confirm your request to {provider}",
    RequestMail.ANSWERED: "{provider} has answered you",
    RequestMail.RECEIVED: "{provider} received your message",
}


def on_mail_wanted(sender, *, request_id: int, kind: str, **kwargs) -> None:
    send_request_mail.enqueue(request_id, kind)


@task()
def send_request_mail(request_id: int, kind: str) -> bool:
    """Returns whether a mail went (not where the request keeps no address)."""
    row = (
        ledger.requests_for(MAILER).filter(pk=request_id)
        .values("pk", "sender", "kind", "subject", "text", "answer", "due_at").first()
    )  # fmt: skip
    if row is None or not row["sender"]:
        return False
    site = settings.SITE_URL
    context = {
        "provider": current_policy().provider.name,
        "request": row,
        "confirm_url": site + reverse("requests:confirm", args=[identity.confirm_token(row["pk"])]),
        "view_url": site + reverse("requests:view", args=[identity.view_token(row["pk"])]),
    }
    notices.mail_address(
        row["sender"],
        SUBJECTS[kind].format(provider=context["provider"]),
        render_to_string(f"requests/mail/{kind}.txt", context),
        # A confirmation answers a mailed request; the rest are the site's own doing.
        auto=notices.AUTO_REPLIED if kind == RequestMail.CONFIRM else notices.AUTO_GENERATED,
    )
    return True
