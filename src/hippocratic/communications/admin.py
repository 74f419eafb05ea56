"""Access cases and harm reports in the admin, read only: they name a customer by
number and a ground, never contents. Contents open on the case's own page
(/staff/access/<case>/), which the gateway guards; the admin has no page for them."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from hippocratic.communications.models import HarmReport
from hippocratic.enforcement.models import AccessCase
from hippocratic.enforcement.personal_admin import ReadOnlyAdmin as ReadOnly


@admin.register(AccessCase)
class AccessCaseAdmin(ReadOnly):
    list_display = ("__str__", "customer_id", "what", "ground", "reason", "created_at",
                    "approved_at", "expires_at", "closed_at", "open_it")  # fmt: skip
    list_filter = ("what", "ground", "granted_by_customer")

    @admin.display(description="Contents")
    def open_it(self, case):
        return format_html('<a href="{}">open under this case</a>',
                           reverse("communications:case", args=[case.pk]))  # fmt: skip


@admin.register(HarmReport)
class HarmReportAdmin(ReadOnly):
    list_display = ("__str__", "customer_id", "message_id", "by_owner", "status", "ground",
                    "created_at", "decided_at", "review")  # fmt: skip
    list_filter = ("status", "by_owner")

    @admin.display(description="Review")
    def review(self, report):
        if report.status != HarmReport.Status.OPEN:
            return "—"
        return format_html('<a href="{}">review</a>',
                           reverse("communications:review", args=[report.pk]))  # fmt: skip
