"""Telling a customer about a disclosure of their data: before it, when a request is
received (so they can respond); under a gag order, on the day it ends; after an
emergency disclosure, at once (the worker calls `tell`, on disclosure.signals)."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from hippocratic.accounts import notices
from hippocratic.disclosure.models import Disclosure
from hippocratic.disclosure.signals import RECEIVED
from hippocratic.enforcement.actors import Actor
from hippocratic.policy import words
from hippocratic.policy.prose import lower
from hippocratic.provider import current_policy

NOTICE = Actor.system("disclosure.notice")


def tell(disclosure_id: int, customer_id: int, what: str) -> bool:
    """Returns whether a mail went."""
    disclosure = Disclosure.objects.filter(pk=disclosure_id).first()
    if disclosure is None:
        return False
    policy = current_policy()
    to = next((r.name for r in policy.recipients if r.key == disclosure.recipient), "")
    what_of = words.categories(policy, disclosure.categories)
    if what == RECEIVED:
        subject = f"{policy.provider.name} received a request for information about you"
        text = (f"We received a {disclosure.get_kind_display().lower()} asking us to give "
                f"{to} information about your account ({what_of}). Nothing has been "
                "disclosed yet. If you wish to respond, write to us now; you may also wish "
                "to seek legal advice.")  # fmt: skip
    else:
        subject = f"{policy.provider.name} disclosed information about you"
        on = date_format(timezone.localtime(disclosure.disclosed_at))
        ground = words.ground(disclosure.ground)
        text = (f"On {on} we gave {to} information about your account ({what_of}), on the "
                f"ground that {lower(ground)}.")  # fmt: skip
    link = settings.SITE_URL + reverse("accounts:my_data")
    body = f"{text}\n\nEvery disclosure of your data: {link}\n\n{policy.provider.name}"
    return notices.mail_customer(customer_id, subject, body, by=NOTICE)
