"""The customer's choices (CH-1) and requests (CH-3), the question form (CH-2), the
contact form (a message to support), and the links mailed to a sender: confirm a
request, see a question's answer."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from hippocratic.accounts import services as accounts
from hippocratic.accounts.decorators import customer_required
from hippocratic.enforcement.actors import Actor
from hippocratic.policy.models import ChannelKind, ChoiceKind
from hippocratic.provider import current_policy
from hippocratic.requests import choices, identity, ledger, services
from hippocratic.requests.forms import ContactForm, QuestionForm, choices_form
from hippocratic.requests.models import Request
from hippocratic.site import limits

SHOWN = ("pk", "kind", "channel", "created_at", "due_at", "status", "done_at", "outcome",
         "subject", "text", "answer")  # fmt: skip


@customer_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def my_choices(request, me: int):
    offered = choices.options()
    if not offered:
        raise Http404("This provider's policy offers no choices to change.")
    form = choices_form(
        offered, choices.current(me), request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        wanted = {o.key: bool(form.cleaned_data[o.key]) for o in offered}
        changed = choices.change(me, wanted, by=Actor.for_customer(me),
                                 channel=Request.Channel.PORTAL)  # fmt: skip
        messages.success(request, "Saved: " + "; ".join(changed) if changed else "No change.")
        return redirect("requests:choices")
    return render(request, "requests/choices.html", {"form": form})


@customer_required
@never_cache
@require_safe
def my_requests(request, me: int):
    rows = ledger.requests_for(Actor.for_customer(me)).order_by("-created_at").values(*SHOWN)
    return render(request, "requests/mine.html", {"requests": _labelled(rows[:200])})


def _labelled(rows) -> list[dict]:
    kinds, statuses = dict(Request.Kind.choices), dict(Request.Status.choices)
    channels = dict(Request.Channel.choices)
    return [
        {**row, "kind_label": kinds[row["kind"]], "status_label": statuses[row["status"]],
         "channel_label": channels[row["channel"]]}
        for row in rows
    ]  # fmt: skip


def _question_form_offered() -> bool:
    return any(
        choice.kind is ChoiceKind.QUESTION
        and any(ch.kind is ChannelKind.ONLINE_FORM for ch in choice.channels)
        for choice in current_policy().choices
    )


def _link_for(asked, me: int | None) -> str:
    """The token of the link to a request just posted; none for a visitor whose post
    repeated an open request's text: the same words from another visitor (any visitor,
    where the policy keeps no sender) opened the first asker's request and its answer."""
    if getattr(asked, "repeated", False) and not me:
        return ""
    return identity.view_token(asked.pk)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@limits.limited("question", target="email")
def ask(request):
    """The online form for questions about collection, use or disclosure (CH-2)."""
    if not _question_form_offered() or not ledger.collects_email():
        raise Http404("This provider takes questions by e-mail.")
    me = accounts.customer_id(request)
    known = accounts.contact_details(me).get("email", "") if me else ""
    form = QuestionForm(request.POST or None, known_email=known)
    if request.method == "POST" and form.is_valid():
        sender = known or form.cleaned_data["email"]
        asked = services.ask(form.cleaned_data["question"], sender=sender, customer_id=me)
        return render(request, "requests/asked.html", {
            "due_at": asked.due_at, "view_token": _link_for(asked, me),
        })  # fmt: skip
    return render(request, "requests/ask.html", {"form": form, "known_email": known})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@limits.limited("contact", target="email")
def contact(request):
    """The contact form: a message to support, a request in the staff queue, from a
    visitor or a signed-in customer (whose request runs as them)."""
    if not current_policy().provider.contacts.support.online_form:
        raise Http404("This provider's policy names no contact form.")
    me = accounts.customer_id(request)
    keeps_sender = ledger.collects_email()
    known = accounts.contact_details(me).get("email", "") if me and keeps_sender else ""
    asks_email = keeps_sender and not me
    form = ContactForm(request.POST or None, asks_email=asks_email)
    if request.method == "POST" and form.is_valid():
        sender = known or form.cleaned_data.get("email", "")
        sent = services.contact(form.cleaned_data["subject"], form.cleaned_data["message"],
                                sender=sender, customer_id=me)  # fmt: skip
        return render(request, "requests/contacted.html", {
            "due_at": sent.due_at, "view_token": _link_for(sent, me),
            "mailed": bool(sender), "signed_in": bool(me),
        })  # fmt: skip
    return render(request, "requests/contact.html", {
        "form": form, "known_email": known, "answers_by_mail": keeps_sender,
        "signed_in": bool(me),
    })  # fmt: skip


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, token: str):
    """The link mailed to a customer's address: a GET shows what the request asks, and
    only a POST acts on it (a link scanner that follows it changes nothing)."""
    request_id = identity.confirmed_request(token)
    try:
        row = services.waiting(request_id) if request_id else None
    except services.NotConfirmable:
        row = None
    if row is None:
        return render(request, "requests/confirm.html", {"gone": True}, status=404)
    offered = choices.options(row["choice"]) if row["kind"] == Request.Kind.OPT_OUT else []
    # Ticked means "you may": the mail asked to stop, so the boxes start unticked.
    form = choices_form(
        offered, {o.key: False for o in offered}, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        wanted = {o.key: bool(form.cleaned_data[o.key]) for o in offered}
        changed = services.confirm(row["pk"], wanted)
        return render(request, "requests/confirmed.html", {"changed": changed,
                                                           "is_choice": bool(offered)})  # fmt: skip
    return render(request, "requests/confirm.html", {"form": form, "row": row,
                                                     "is_choice": bool(offered)})  # fmt: skip


@never_cache
@require_safe
def view(request, token: str):
    """The asker's own question and its answer, by the link we mailed them."""
    request_id = identity.viewed_request(token)
    row = None
    if request_id:
        row = ledger.requests_for(services.INTAKE).filter(pk=request_id).values(*SHOWN).first()
    if row is None:
        raise Http404("This link names no request.")
    return render(request, "requests/view.html", {"r": _labelled([row])[0]})
