"""The staff queue (CH-3): open requests first, by due date, the overdue ones marked;
what was asked (subject and text, sealed at rest, read through the gateway for the
ledger's purpose, each read audited); assign, answer a question or a message to
support (mailed to the asker, or shown on their page), close with what was done. And the
monthly service-level report at .../requests/request/report/."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Value, When
from django.template.response import TemplateResponse
from django.urls import path

from hippocratic.enforcement.actors import Actor, staff_role
from hippocratic.enforcement.personal_admin import PersonalDataAdmin
from hippocratic.provider import current_policy
from hippocratic.requests import ledger, report, services
from hippocratic.requests.models import Request

OPEN = (Request.Status.OPEN, Request.Status.CONFIRMING)


def _actor(request) -> Actor:
    return Actor.for_user(request.user, staff_role(request.user))


class AnswerForm(forms.ModelForm):
    class Meta:
        model = Request
        fields = ("answer",)
        widgets = {"answer": forms.Textarea(attrs={"rows": 8, "cols": 80})}


@admin.register(Request)
class RequestAdmin(PersonalDataAdmin):
    form = AnswerForm
    list_display = ("__str__", "subject", "requester", "channel", "created_at", "due_at",
                    "status", "is_overdue", "assigned_to")  # fmt: skip
    list_filter = ("status", "kind", "channel", "requester")
    readonly_fields = ("kind", "channel", "requester", "choice_in_words", "customer_number",
                       "sender", "subject", "text", "created_at", "due_at", "status", "done_at",
                       "done_by", "outcome", "assigned_to", "audit_log_entries")  # fmt: skip
    actions = ["assign_to_me", "mark_done", "remove_from_list"]

    def has_add_permission(self, request):
        return False

    @property
    def admin_purpose(self) -> str:
        return ledger.purpose()

    def get_queryset(self, request):
        first = Case(When(status__in=OPEN, then=Value(0)), default=Value(1),
                     output_field=IntegerField())  # fmt: skip
        return (
            super()
            .get_queryset(request)
            .annotate(open_first=first)
            .order_by("open_first", "due_at")
        )

    def get_fields(self, request, obj=None):
        # Questions and messages to support are answered here: by mail to the sender
        # where the request keeps an address, else on the asker's own page (a customer's
        # requests, or the link the online form gave a visitor). A request still waiting
        # for its sender's confirmation is not answered yet.
        answerable = (Request.Kind.QUESTION, Request.Kind.SUPPORT)
        seen = bool(obj and (obj.sender or obj.customer_id
                             or obj.channel == Request.Channel.ONLINE_FORM))  # fmt: skip
        editable = (
            obj is not None and obj.kind in answerable and obj.status == Request.Status.OPEN
            and seen
        )  # fmt: skip
        return (*self.readonly_fields, "answer") if editable else self.readonly_fields

    # The policy's words and people's labels, not the model's attribute names.
    @admin.display(description="Under the policy's choice")
    def choice_in_words(self, obj):
        named = {c.key: c.name for c in current_policy().choices}
        return named.get(obj.choice, obj.choice) or "—"

    @admin.display(description="Customer number")
    def customer_number(self, obj):
        return obj.customer_id or "—"

    @admin.display(description="Its entries in the audit log")
    def audit_log_entries(self, obj):
        return ", ".join(f"#{seq}" for seq in obj.audit_entries or ()) or "—"

    @admin.display(boolean=True, description="Overdue")
    def is_overdue(self, obj):
        return obj.overdue

    def save_model(self, request, obj, form, change):
        # Never obj.save(): the answer goes through the service, which mails it.
        if "answer" in form.changed_data:
            services.answer(obj.pk, form.cleaned_data["answer"], by=_actor(request))

    def save_related(self, request, form, formsets, change):
        pass

    @admin.action(description="Assign to me", permissions=["view"])
    def assign_to_me(self, request, queryset):
        count = queryset.filter(status__in=OPEN).update(assigned_to=request.user)
        self.message_user(request, f"{count} request(s) assigned to you.")

    @admin.action(description="Done (as described in the request)", permissions=["view"])
    def mark_done(self, request, queryset):
        ids = list(queryset.filter(status=Request.Status.OPEN).values_list("pk", flat=True))
        for pk in ids:
            services.close(pk, f"done by {request.user.get_username()}", by=_actor(request))
        self.message_user(request, f"{len(ids)} request(s) done.")

    @admin.action(description="Done: take the sender off the mailing list", permissions=["view"])
    def remove_from_list(self, request, queryset):
        # An unsubscribe request, or a customer's mail to support that asks it (MSG-4:
        # "writing to the support address"; staff read what it asks).
        actor, done = _actor(request), 0
        rows = queryset.filter(status=Request.Status.OPEN, kind=Request.Kind.UNSUBSCRIBE)
        for pk in rows.values_list("pk", flat=True):
            ledger.act(pk, by=actor, how="by mail, done by staff")
            done += 1
        asked = queryset.filter(status=Request.Status.OPEN, kind=Request.Kind.SUPPORT,
                                customer__isnull=False)  # fmt: skip
        for pk in asked.values_list("pk", flat=True):
            ledger.act(pk, by=actor, how="by mail to support, done by staff",
                       as_kind=Request.Kind.UNSUBSCRIBE)  # fmt: skip
            done += 1
        if done < queryset.count():
            self.message_user(request, "Only open unsubscribe requests, and customers' open "
                              "mail to support, were done.", messages.WARNING)  # fmt: skip
        self.message_user(request, f"{done} request(s) done.")

    def get_urls(self):
        report_url = path("report/", self.admin_site.admin_view(self.report_view),
                          name="requests_request_report")  # fmt: skip
        return [report_url, *super().get_urls()]

    def report_view(self, request):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request), "title": "Requests: service levels",
            "rows": report.monthly(_actor(request)), "overdue": report.overdue(_actor(request)),
            "opts": self.model._meta,
        }  # fmt: skip
        return TemplateResponse(request, "admin/requests/report.html", context)
