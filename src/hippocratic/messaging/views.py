"""Leaving the mailing list in one click (MSG-5), and joining or leaving it from the
account page. The link in a message carries a signed per-recipient token: a GET shows
a one-button page (link scanners follow GETs), and only a POST unsubscribes. The POST
is exempt from CSRF because mail providers send it (RFC 8058); the token is the proof."""

import email
import email.policy
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from hippocratic.accounts.decorators import customer_required
from hippocratic.accounts.forms import not_our_address
from hippocratic.enforcement.actors import Actor
from hippocratic.messaging import campaigns, services
from hippocratic.messaging.models import Campaign
from hippocratic.messaging.sending import recipient_of_token
from hippocratic.messaging.tasks import send_join_confirmation
from hippocratic.requests.models import Request
from hippocratic.site import limits


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@limits.limited("unsubscribe")
def unsubscribe(request, token: str):
    recipient = recipient_of_token(token)
    if recipient is None:
        raise Http404("This unsubscribe link is not valid.")
    kind, customer_id = recipient
    if request.method == "POST" and kind == "prospect":  # someone on the list, not a customer
        services.prospect_leave_by_link(customer_id)
        return render(request, "messaging/unsubscribed.html")
    if request.method == "POST":  # a replay, or an erased customer's: done, nothing new
        services.leave_by_link(customer_id)
        return render(request, "messaging/unsubscribed.html")
    return render(request, "messaging/unsubscribe.html", {"token": token})


@customer_required
@require_POST
def mailing_list(request, me: int):
    if Campaign.Kind.NEWSLETTER not in campaigns.kinds_available():
        raise Http404("This provider has no mailing list.")
    if request.POST.get("join") == "1":
        services.join(me)
        messages.success(request, "You are on the mailing list. Every message says how to leave.")
    else:
        services.leave_recorded(me, Request.Channel.PORTAL, "account page",
                                by=Actor.for_customer(me))  # fmt: skip
        messages.success(request, "You are off the mailing list.")
    return redirect("accounts:home")


OUTBOX_SHOWN = 50


@staff_member_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def outbox(request):
    """Development only: the mail the demo sent (the file backend's var/outbox/)."""
    mailer = settings.MAILERS["default"]
    if not settings.DEBUG or not mailer["BACKEND"].endswith("filebased.EmailBackend"):
        raise Http404("The outbox exists in development only.")
    folder = Path(mailer["OPTIONS"]["file_path"])
    files = sorted(folder.glob("*.log"), key=lambda f: f.stat().st_mtime, reverse=True)
    shown = []
    for path in files[:OUTBOX_SHOWN]:
        # The file backend writes each message after a line of dashes.
        for chunk in path.read_bytes().split(b"-" * 79):
            if chunk.strip():
                message = email.message_from_bytes(chunk.strip(), policy=email.policy.default)
                body = message.get_body(preferencelist=("plain",))
                shown.append({
                    "headers": [(k, str(v)) for k, v in message.items()],
                    "body": body.get_content() if body else "",
                })  # fmt: skip
    return render(request, "messaging/outbox.html", {"messages_sent": shown[:OUTBOX_SHOWN]})


class JoinForm(forms.Form):
    name = forms.CharField(max_length=200, label="Your name")
    email = forms.EmailField(
        max_length=254, label="Your e-mail address", validators=[not_our_address]
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@limits.limited("join", target="email")
def join(request):
    """Join the mailing list without an account: double opt-in (MSG-2). Nothing is sent
    to the address but the confirmation link until that link is followed."""
    if not campaigns.prospect_list_open():
        raise Http404("This provider's mailing list is for customers.")
    form = JoinForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        membership = services.invite(form.cleaned_data["name"], form.cleaned_data["email"])
        if membership is not None:
            transaction.on_commit(lambda: send_join_confirmation.enqueue(membership))
        # The same answer whoever asks: the page says nothing of who is on the list.
        return render(request, "messaging/join_sent.html")
    return render(request, "messaging/join.html", {"form": form,
                                                   "consent": services.consent_text()})  # fmt: skip


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def join_confirm(request, token: str):
    """The link in the confirmation mail: a GET shows a button, only a POST confirms."""
    membership = services.membership_of_token(token)
    if membership is None:
        raise Http404("This link is not valid, or is older than a week.")
    if request.method == "POST":
        if not services.confirm(membership):
            raise Http404("This request to join is gone; ask again.")
        return render(request, "messaging/joined.html")
    return render(request, "messaging/join_confirm.html")
