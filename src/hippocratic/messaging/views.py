"""Leaving the mailing list in one click (MSG-5), and joining or leaving it from the
account page. The link in a message carries a signed per-recipient token: a GET shows
a one-button page (link scanners follow GETs), and only a POST unsubscribes. The POST
is exempt from CSRF because mail providers send it (RFC 8058); the token is the proof."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from hippocratic.accounts.decorators import customer_required
from hippocratic.enforcement.actors import Actor
from hippocratic.messaging import campaigns, services
from hippocratic.messaging.models import Campaign
from hippocratic.messaging.sending import customer_of_token


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    customer_id = customer_of_token(token)
    if customer_id is None:
        raise Http404("This unsubscribe link is not valid.")
    if request.method == "POST":
        services.leave(customer_id, "one-click link", by=Actor.for_customer(customer_id))
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
        services.leave(me, "account page", by=Actor.for_customer(me))
        messages.success(request, "You are off the mailing list.")
    return redirect("accounts:home")
