"""Campaigns in the admin: staff write one, check it, and send it. A campaign holds
no personal data; its recipients are chosen by the worker through the gateway."""

from django.contrib import admin, messages
from django.utils.html import format_html

from hippocratic.enforcement.actors import staff_role
from hippocratic.messaging import campaigns, sending
from hippocratic.messaging.models import Campaign
from hippocratic.messaging.tasks import send_campaign, waiting_or_running

# Who may send which kind: marketing mail is marketing's; bulletins serve the service.
SENDERS = {
    Campaign.Kind.BULLETIN: {"staff.support", "staff.admin"},
    Campaign.Kind.NEWSLETTER: {"staff.marketing", "staff.admin"},
    Campaign.Kind.ANNOUNCEMENT: {"staff.marketing", "staff.admin"},
}


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("subject", "kind", "status", "progress", "created_at", "sent_at")
    list_filter = ("kind", "status")
    readonly_fields = ("status", "progress", "created_by", "created_at", "sent_at")
    actions = ["send", "resume"]

    def get_queryset(self, request):
        self._busy = None  # which campaigns the queue is working on: asked once a page
        return super().get_queryset(request)

    def _stalled(self, campaign) -> bool:
        """Sending, and no task queued or running for it: a worker died and nothing
        took it up again (or the queue is RQ's, which this cannot see into)."""
        if campaign.status != Campaign.Status.SENDING:
            return False
        if getattr(self, "_busy", None) is None:
            sending_ids = Campaign.objects.filter(status=Campaign.Status.SENDING)
            self._busy = waiting_or_running(sending_ids.values_list("pk", flat=True))
        return self._busy is not None and campaign.pk not in self._busy

    @admin.display(description="Deliveries")
    def progress(self, campaign):
        """The campaign's report: how many went, wait, failed or are unknown (handed to
        the mail server as a worker died: never sent again)."""
        if campaign.pk is None or campaign.status == Campaign.Status.DRAFT:
            return "—"
        counts = sending.report(campaign)
        words = [f"{n:,} {status}" for status, n in counts.items() if n]
        return ("STALLED: " if self._stalled(campaign) else "") + (", ".join(words) or "none")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """Only the kinds this policy lets the site send are offered (a kind the policy
        makes no promise for would be refused when sent); the body's help is text, not
        markup (the admin shows help text as HTML, which ate `<field>`)."""
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "kind" and field is not None:
            available = set(campaigns.kinds_available())
            field.choices = [(k, v) for k, v in field.choices if not k or k in available]
        if db_field.name == "body" and field is not None:
            field.help_text = format_html(
                "A template: it may name {} only where the policy lets the campaign's "
                "purpose use that field; never billing data.",
                "{{ customer.name }}",
            )
        return field

    def save_model(self, request, obj, form, change):
        obj.created_by = obj.created_by or request.user.get_username()
        super().save_model(request, obj, form, change)

    @admin.action(description="Send (after checking the template against the policy)")
    def send(self, request, queryset):
        role = staff_role(request.user)
        for campaign in queryset.filter(status=Campaign.Status.DRAFT):
            if role not in SENDERS[campaign.kind]:
                self.message_user(request, f"{campaign}: your role may not send it.",
                                  messages.ERROR)  # fmt: skip
                continue
            try:
                campaigns.template_fields(campaign)
            except campaigns.CampaignRefused as refusal:
                self.message_user(request, f"{campaign}: {refusal}", messages.ERROR)
                continue
            send_campaign.enqueue(campaign.pk)
            self.message_user(request, f"{campaign}: queued for the worker.")

    @admin.action(description="Resume (a stalled campaign: settle what a dead worker left, "
                  "send the rest)")  # fmt: skip
    def resume(self, request, queryset):
        role = staff_role(request.user)
        for campaign in queryset:
            if campaign.status != Campaign.Status.SENDING:
                self.message_user(request, f"{campaign}: not being sent; nothing to resume.",
                                  messages.WARNING)  # fmt: skip
                continue
            if role not in SENDERS[campaign.kind]:
                self.message_user(request, f"{campaign}: your role may not send it.",
                                  messages.ERROR)  # fmt: skip
                continue
            send_campaign.enqueue(campaign.pk)
            self.message_user(
                request,
                f"{campaign}: queued for the worker, which sends what is left; "
                "what a dead worker had in hand is settled first.",
            )
