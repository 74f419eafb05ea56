"""The customer's mailbox and their grants of access; the public harm report form;
the staff's access cases and harm reviews (each bound to one customer)."""

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from hippocratic.accounts.decorators import customer_required
from hippocratic.communications import forwarding, harm, mailbox
from hippocratic.communications.models import HarmReport, StoredMessage
from hippocratic.enforcement import cases as access
from hippocratic.enforcement.gateway import AccessDenied
from hippocratic.enforcement.models import AccessCase
from hippocratic.provider import current_policy
from hippocratic.site import limits

# --- the customer's mailbox (COM-1) ---------------------------------------------------------


def _mailbox_offered() -> str:
    if not mailbox.domain():
        raise Http404("This provider keeps no mailboxes.")
    return mailbox.domain()


@customer_required
@never_cache
@require_safe
def inbox(request, me: int):
    _mailbox_offered()
    before = request.GET.get("before", "")
    found = mailbox.page(me, before=int(before) if before.isascii() and before.isdigit() else None)
    offered = forwarding.offered()
    return render(request, "communications/inbox.html", {
        "messages_": found, "address": mailbox.address_of(request.user.get_username()),
        "older": found[-1].id if len(found) == mailbox.PAGE else None,
        "kept": current_policy().mailbox_item().retention,
        "forwarding": ForwardingForm(initial={"address": forwarding.address_of(me)})
        if offered else None, "forwarded_to": forwarding.address_of(me) if offered else "",
    })  # fmt: skip


class ForwardingForm(forms.Form):
    address = forms.EmailField(
        label="Forward my mail to", max_length=254, required=False,
        help_text="Each new message is sent on to this address and counts as delivered. "
        "Leave it empty to stop forwarding.",
    )  # fmt: skip


@customer_required
@require_POST
def set_forwarding(request, me: int):
    _mailbox_offered()
    form = ForwardingForm(request.POST)
    if not forwarding.offered() or not form.is_valid():
        messages.error(request, "That is not an e-mail address we can forward to.")
        return redirect("communications:inbox")
    address = form.cleaned_data["address"]
    try:
        if address:
            forwarding.set_address(me, address)
            messages.success(request, f"New mail will be forwarded to {address}.")
        else:
            forwarding.stop(me)
            messages.success(request, "Forwarding stopped.")
    except ValidationError as refused:
        messages.error(request, "; ".join(refused.messages))
    return redirect("communications:inbox")


def _collected(me: int, message_id: int) -> mailbox.Opened:
    _mailbox_offered()
    try:
        return mailbox.collect(me, message_id)
    except StoredMessage.DoesNotExist:
        raise Http404("No such message in your mailbox.") from None


@customer_required
@never_cache
@require_safe
def message(request, me: int, message_id: int):
    opened = _collected(me, message_id)
    return render(request, "communications/message.html", {
        "opened": opened, "report_form": ReportForm() if harm.offered() else None,
    })  # fmt: skip


@customer_required
@never_cache
@require_safe
def download(request, me: int, message_id: int):
    opened = _collected(me, message_id)
    if opened.raw is None:
        raise PermissionDenied("We blocked access to this message; the notice in your "
                               "mailbox says why.")  # fmt: skip
    response = HttpResponse(opened.raw, content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{message_id}.eml"'
    return response


class ReportForm(forms.Form):
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        label="What harm may it do?", help_text="For example: it is phishing, or carries malware.",
    )  # fmt: skip


@customer_required
@require_POST
def report_mine(request, me: int, message_id: int):
    form = ReportForm(request.POST)
    if not harm.offered() or not form.is_valid() or not mailbox.holds(me, message_id):
        raise Http404("No such message to report.")
    harm.report(me, message_id, reason=form.cleaned_data["reason"], by_owner=True)
    messages.success(request, "Thank you: staff will review that message.")
    return redirect("communications:inbox")


# --- harm reports from anyone (COM-4) ---------------------------------------------------------


class PublicReportForm(ReportForm):
    address = forms.EmailField(label="The address the message was sent to", max_length=254)
    message_id = forms.CharField(
        label="Its Message-ID", max_length=300,
        help_text="From the message's headers, such as <1234@mail.example.com>.",
    )  # fmt: skip
    field_order = ["address", "message_id", "reason"]


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@limits.limited("report-harm", target="message_id")
def report_harm(request):
    if not harm.offered():  # the site's own 404 page, even with DEBUG on
        return render(request, "404.html", {"exception": "This provider does not review "
                      "messages."}, status=404)  # fmt: skip
    form = PublicReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        harm.report_by_header(data["address"], data["message_id"], reason=data["reason"])
        # The same answer whether or not we hold the message: it tells no one what we do.
        return render(request, "communications/reported.html")
    return render(request, "communications/report.html", {"form": form})


# --- the customer's grants of access (COM-5) -------------------------------------------------


class GrantForm(forms.Form):
    reason = forms.CharField(
        max_length=300, label="Why", help_text="For example the support request it is for.",
    )  # fmt: skip


def _grants_offered():
    if access.CUSTOMER_PERMISSION not in access.grounds_for("records"):
        raise Http404("Staff of this provider never view your data.")
    return current_policy().communications.hosted_data


@customer_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def my_access(request, me: int):
    hosted = _grants_offered()
    form = GrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        access.grant(me, reason=form.cleaned_data["reason"])
        messages.success(
            request, f"Support staff may view your records for {hosted.permission_hours} hours."
        )
        return redirect("communications:access")
    return render(request, "communications/access.html", {
        "form": form, "cases": access.in_force(me), "views": access.views_of(me),
        "hours": hosted.permission_hours,
    })  # fmt: skip


@customer_required
@require_POST
def revoke(request, me: int, case_id: int):
    _grants_offered()
    if access.revoke(me, case_id):
        messages.success(request, "Permission taken back: staff can no longer view your records.")
    return redirect("communications:access")


# --- staff: access cases and harm reviews -----------------------------------------------------


class CaseForm(forms.Form):
    customer = forms.IntegerField(min_value=1, max_value=2**63 - 1, label="Customer number")
    ground = forms.ChoiceField()
    reason = forms.CharField(max_length=300, help_text="A ticket, a warrant's number")
    scope = forms.CharField(
        required=False, max_length=2000, label="Message numbers",
        help_text="Comma-separated; empty for all of the customer's messages.",
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        grounds = [g for g in access.grounds_for("messages") if g != access.HARM_REVIEW]
        self.fields["ground"].choices = [(g, g.replace("_", " ").capitalize()) for g in grounds]

    def clean_scope(self):
        raw = [p.strip() for p in self.cleaned_data["scope"].split(",") if p.strip()]
        if not all(p.isascii() and p.isdigit() and len(p) <= 18 for p in raw):
            raise forms.ValidationError("Message numbers are whole numbers, comma-separated.")
        return [int(p) for p in raw]


@staff_member_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def cases(request):
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = access.open_case(
                request.user, customer_id=data["customer"], what="messages",
                ground=data["ground"], scope=data["scope"], reason=data["reason"],
            )  # fmt: skip
        except (ValidationError, PermissionDenied) as refused:
            form.add_error(None, "; ".join(getattr(refused, "messages", [str(refused)])))
        else:
            return redirect("communications:case", case.pk)
    now = access.now()
    listed = AccessCase.objects.filter(closed_at__isnull=True, expires_at__gt=now)[:200]
    return render(request, "communications/cases.html", {
        "form": form if access.grounds_for("messages") else None, "cases": listed,
        "reports": HarmReport.objects.filter(status=HarmReport.Status.OPEN)[:200],
    })  # fmt: skip


@staff_member_required
@never_cache
@require_safe
def case(request, case_id: int):
    found = get_object_or_404(AccessCase, pk=case_id)
    model = _model_of(found)
    try:
        rows = model.objects.under_case(found, request.user)
        items = _listed(found, rows)
    except AccessDenied as refused:
        return render(request, "communications/case.html",
                      {"case": found, "refused": str(refused)}, status=403)  # fmt: skip
    return render(request, "communications/case.html", {"case": found, "items": items})


@staff_member_required
@never_cache
@require_safe
def case_item(request, case_id: int, item_id: int):
    found = get_object_or_404(AccessCase, pk=case_id)
    model = _model_of(found)
    try:
        rows = model.objects.under_case(found, request.user)
        if found.what == AccessCase.What.MESSAGES:
            item = mailbox.open_message(rows, item_id, found.customer_id)
        else:
            item = rows.filter(pk=item_id).values("pk", "kind", "title", "body").get()
    except AccessDenied as refused:
        return render(request, "communications/case.html",
                      {"case": found, "refused": str(refused)}, status=403)  # fmt: skip
    except model.DoesNotExist:
        raise Http404("No such item under this case.") from None
    return render(request, "communications/case_item.html", {"case": found, "item": item})


@staff_member_required
@require_POST
def approve(request, case_id: int):
    get_object_or_404(AccessCase, pk=case_id)
    try:
        access.approve(case_id, request.user)
    except (ValidationError, PermissionDenied) as refused:
        messages.error(request, "; ".join(getattr(refused, "messages", [str(refused)])))
    return redirect("communications:case", case_id)


class DecisionForm(forms.Form):
    status = forms.ChoiceField(choices=[(k, v.capitalize()) for k, v in harm.DECISIONS.items()],
                               label="Decision")  # fmt: skip
    ground = forms.ChoiceField(choices=[("", "—"), *harm.GROUNDS.items()], required=False)
    note = forms.CharField(max_length=150, required=False)


@staff_member_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def review(request, report_id: int):
    if not harm.offered():
        raise Http404("This provider does not review messages.")
    form = DecisionForm(request.POST or None)
    try:
        found, opened = harm.review(report_id, request.user)
    except HarmReport.DoesNotExist:
        raise Http404("No such report.") from None
    except (ValidationError, PermissionDenied, StoredMessage.DoesNotExist) as refused:
        messages.error(request, str(refused))
        return redirect("communications:cases")
    if request.method == "POST" and form.is_valid():
        try:
            harm.decide(report_id, request.user, **form.cleaned_data)
        except ValidationError as refused:
            form.add_error(None, "; ".join(refused.messages))
        else:
            messages.success(request, "Decided; the owner is told.")
            return redirect("communications:cases")
    return render(request, "communications/review.html",
                  {"report": found, "opened": opened, "form": form})  # fmt: skip


def _model_of(case: AccessCase):
    return access.CONTENTS[case.what].model


def _listed(case: AccessCase, rows) -> list[dict]:
    if case.what == AccessCase.What.MESSAGES:
        found = mailbox.summaries(rows.order_by("-pk").values(*mailbox.LIST_FIELDS)[:200],
                                  case.customer_id)  # fmt: skip
        return [{"id": m.id, "title": m.subject, "when": m.received_at} for m in found]
    return [
        {"id": r["pk"], "title": r["title"], "when": r["updated_at"]}
        for r in rows.order_by("-updated_at").values("pk", "title", "updated_at")[:200]
    ]
