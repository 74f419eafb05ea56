"""Telling a customer about a disclosure of their data: before it, when a request is
received (so they can respond); under a gag order, on the day it ends; after an
emergency disclosure, at once. The task's arguments carry ids, never an address."""

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.urls import reverse

from hippocratic.accounts.models import Customer
from hippocratic.disclosure.models import Disclosure
from hippocratic.enforcement.actors import Actor
from hippocratic.provider import current_engine, current_policy, sender_address

NOTICE = Actor.system("disclosure.notice")
RECEIVED, DISCLOSED = "received", "disclosed"
EMAIL = frozenset({"user.contact.email"})


def _address(customer_id: int) -> str:
    """The customer's address, read for a purpose the policy gives addresses."""
    purposes = current_engine().purposes_serving("customer", EMAIL)
    if not purposes:
        return ""  # a policy that collects no address (Dracon): the data page says it
    rows = Customer.objects.for_purpose(NOTICE, purposes[0]).filter(pk=customer_id)
    return rows.values_list("email", flat=True).first() or ""


@task()
def tell_customer(disclosure_id: int, customer_id: int, what: str) -> bool:
    """Returns whether a mail went."""
    disclosure = Disclosure.objects.filter(pk=disclosure_id).first()
    address = _address(customer_id) if disclosure else ""
    if not address:
        return False
    policy = current_policy()
    to = next((r.name for r in policy.recipients if r.key == disclosure.recipient), "")
    what_of = ", ".join(disclosure.categories)
    if what == RECEIVED:
        subject = f"{policy.provider.name} received a request for information about you"
        text = (f"We received a {disclosure.get_kind_display().lower()} asking us to give "
                f"{to} information about your account ({what_of}). Nothing has been "
                "disclosed yet. If you wish to respond, write to us now; you may also wish "
                "to seek legal advice.")  # fmt: skip
    else:
        subject = f"{policy.provider.name} disclosed information about you"
        text = (f"On {disclosure.disclosed_at:%d %B %Y} we gave {to} information about "
                f"your account ({what_of}), on the ground: {disclosure.ground}.")  # fmt: skip
    link = settings.SITE_URL + reverse("accounts:my_data")
    send_mail(subject, f"{text}\n\nEvery disclosure of your data: {link}\n\n"
              f"{policy.provider.name}", sender_address(), [address])  # fmt: skip
    return True


@task
def share_with_partners() -> int:
    """The daily partner exports (disclosure.partners.scheduled_shares)."""
    from hippocratic.disclosure import partners

    return partners.scheduled_shares()
