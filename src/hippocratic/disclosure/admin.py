"""Disclosures in the admin, for staff with the legal role: record a request (a
subpoena, a court order …), then a second staff member approves it (the package is
downloaded once, as it leaves) or rejects or contests it with reasons."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.utils import timezone

from hippocratic.disclosure import partners, services
from hippocratic.disclosure.models import Disclosure, Partner, PreservationHold
from hippocratic.enforcement.actors import staff_role
from hippocratic.policy import words
from hippocratic.provider import current_policy

ROLES = {"staff.legal", "staff.admin"}


class LegalTeamAdmin(admin.ModelAdmin):
    """Holds and partners: the legal team sees and adds them; a change or an end goes
    through an action that records it (services), never through an edit form."""

    def has_module_permission(self, request):
        return staff_role(request.user) in ROLES

    def has_view_permission(self, request, obj=None):
        return staff_role(request.user) in ROLES

    def has_add_permission(self, request):
        return staff_role(request.user) in ROLES

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The policy's grounds are clauses of its sentences ("… when you are a customer of both of
# us"): the form offers them as the policy words them.
GROUND_HELP = "Why it may be given, as our privacy policy says it."


class RequestForm(forms.ModelForm):
    customers = forms.CharField(help_text="Customer numbers, separated by commas", max_length=2000)

    class Meta:
        model = Disclosure
        fields = ("kind", "recipient", "ground", "reference", "categories", "gag_until", "due_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        policy = current_policy()
        self.fields["recipient"] = forms.ChoiceField(
            choices=[(r.key, r.name) for r in policy.recipients if not r.aggregates_only]
        )
        grounds = sorted({g.value for r in policy.recipients for g in r.grounds})
        self.fields["ground"] = forms.ChoiceField(
            choices=[(g, words.ground(g)) for g in grounds], help_text=GROUND_HELP
        )
        categories = sorted({c for r in policy.recipients for c in r.categories})
        self.fields["categories"] = forms.MultipleChoiceField(
            choices=[(c, words.category(policy, c)) for c in categories],
            widget=forms.CheckboxSelectMultiple,
        )

    def clean_customers(self):
        try:
            ids = [int(part) for part in self.cleaned_data["customers"].replace(" ", "").split(",")
                   if part]  # fmt: skip
        except ValueError:
            raise forms.ValidationError("Customer numbers only, separated by commas.") from None
        if not ids:
            raise forms.ValidationError("Name at least one customer.")
        if unknown := services.unknown_customers(ids[: services.MAX_SUBJECTS + 1]):
            raise forms.ValidationError(
                "No customer has the number " + ", ".join(str(c) for c in unknown[:10]) + "."
            )
        return ids


@admin.register(Disclosure)
class DisclosureAdmin(admin.ModelAdmin):
    list_display = ("__str__", "ground_in_words", "status", "decision", "received_at",
                    "due_at", "disclosed_at", "gag_until")  # fmt: skip
    list_filter = ("status", "kind", "recipient")
    actions = ["approve", "reject", "contest"]

    @admin.display(description="Ground", ordering="ground")
    def ground_in_words(self, obj):
        return words.ground(obj.ground)

    def _allowed(self, request) -> bool:
        return request.user.is_active and staff_role(request.user) in ROLES

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return False  # decided by the actions, never edited

    def has_delete_permission(self, request, obj=None):
        return False  # the record of what left stays

    def get_form(self, request, obj=None, **kwargs):
        return RequestForm if obj is None else super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Disclosure._meta.fields] if obj else []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            saved = services.record(
                kind=data["kind"], recipient=data["recipient"], ground=data["ground"],
                reference=data["reference"], customer_ids=data["customers"],
                categories=data["categories"], by=request.user, gag_until=data["gag_until"],
                due_at=data["due_at"],
            )  # fmt: skip
        except services.DisclosureRefused as refusal:
            self.message_user(request, f"Refused: {refusal}", messages.ERROR)
            return
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        pass

    @admin.action(description="Approve and disclose (downloads what leaves)",
                  permissions=["view"])  # fmt: skip
    def approve(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Approve one disclosure at a time.", messages.ERROR)
            return None
        disclosure = queryset.get()
        try:
            package = services.approve(disclosure.pk, by=request.user)
        except services.DisclosureRefused as refusal:
            self.message_user(request, f"Refused: {refusal}", messages.ERROR)
            return None
        response = HttpResponse(package, content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="disclosure-{disclosure.pk}.json"'
        return response

    def _decline(self, request, queryset, decision):
        for disclosure in queryset:
            reasons = f"{decision} by {request.user.get_username()}"
            try:
                services.decline(disclosure.pk, by=request.user, decision=decision,
                                 reasons=reasons)  # fmt: skip
            except services.DisclosureRefused as refusal:
                self.message_user(request, f"{disclosure}: {refusal}", messages.ERROR)

    @admin.action(description="Reject", permissions=["view"])
    def reject(self, request, queryset):
        self._decline(request, queryset, Disclosure.Decision.REJECT)

    @admin.action(description="Contest", permissions=["view"])
    def contest(self, request, queryset):
        self._decline(request, queryset, Disclosure.Decision.CONTEST)


@admin.register(PreservationHold)
class PreservationHoldAdmin(LegalTeamAdmin):
    """Preservation requests: customers' data kept from retention, nothing disclosed."""

    list_display = ("__str__", "reference", "customers", "created_at", "released_at")
    fields = ("reference", "customers")
    actions = ["release"]

    def save_model(self, request, obj, form, change):
        made = services.hold(customer_ids=obj.customers, reference=obj.reference,
                             by=request.user)  # fmt: skip
        obj.pk = made.pk

    @admin.action(description="Release: retention applies again")
    def release(self, request, queryset):
        for found in queryset:
            services.release(found.pk, by=request.user)
        self.message_user(request, "Released.", messages.SUCCESS)


class PartnerForm(forms.ModelForm):
    class Meta:
        model = Partner
        fields = ("recipient", "name", "agreement", "ground", "categories", "schedule")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        policy = current_policy()
        partners_ = [r for r in policy.recipients if r.kind.value.endswith("_partner")]
        self.fields["recipient"] = forms.ChoiceField(choices=[(r.key, r.name) for r in partners_])
        self.fields["ground"] = forms.ChoiceField(
            choices=sorted({(g.value, words.ground(g)) for r in partners_ for g in r.grounds}),
            help_text=GROUND_HELP,
        )
        self.fields["categories"] = forms.MultipleChoiceField(
            choices=sorted(
                {(c, words.category(policy, c)) for r in partners_ for c in r.categories}
            ),
            widget=forms.CheckboxSelectMultiple,
        )


@admin.register(Partner)
class PartnerAdmin(LegalTeamAdmin):
    """Partners the policy names: register one with its agreement, issue its API token
    (shown once), end it. Every share it receives is a disclosure."""

    form = PartnerForm
    list_display = ("name", "recipient", "ground_in_words", "schedule", "last_shared_at",
                    "ended_at")  # fmt: skip
    actions = ["issue_token", "end"]

    @admin.display(description="Ground", ordering="ground")
    def ground_in_words(self, obj):
        return words.ground(obj.ground)

    def save_model(self, request, obj, form, change):
        try:
            made = partners.register(
                recipient=obj.recipient, name=obj.name, agreement=obj.agreement,
                ground=obj.ground, categories=list(obj.categories), schedule=obj.schedule,
            )  # fmt: skip
        except services.DisclosureRefused as refused:
            self.message_user(request, f"Not registered: {refused}", messages.ERROR)
            return
        obj.pk = made.pk

    @admin.action(description="Issue a new API token (shown once; the old one stops)")
    def issue_token(self, request, queryset):
        for partner in queryset.filter(ended_at__isnull=True):
            token = partners.issue_token(partner)
            self.message_user(request, f"{partner}: its token is {token} (shown only now)")

    @admin.action(description="End: no more shares, its token stops working")
    def end(self, request, queryset):
        queryset.filter(ended_at__isnull=True).update(ended_at=timezone.now())
