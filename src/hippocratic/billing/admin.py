"""Billing in the admin, for staff whose role is billing (PAY-2): invoices, charge
attempts and payment terms are read through the gateway for payment processing,
so staff.support or staff.marketing are refused whatever Django permissions say.
Refunds go through the processor; the revenue report sums a month's invoices."""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Sum
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from hippocratic.accounts.models import Customer
from hippocratic.billing import refunds
from hippocratic.billing.models import ChargeAttempt, Invoice, PaymentTerms
from hippocratic.billing.processors import PaymentError
from hippocratic.enforcement.actors import Actor, staff_role
from hippocratic.enforcement.personal_admin import PersonalDataAdmin
from hippocratic.money import format_money
from hippocratic.policy import words
from hippocratic.purposes import Purpose


class BillingAdmin(PersonalDataAdmin):
    admin_purpose = Purpose.PAYMENT

    def has_add_permission(self, request):
        return False  # invoices come from the billing run, attempts from the processor


# Fields shown otherwise than as stored: amounts as money, the lines as sentences, codes
# and the card's last four digits under labels in words.
INVOICE_SHOWN = {"card_last4": "card_ending", "lines": "lines_in_words",
                 "subtotal": "subtotal_shown", "tax": "tax_shown", "total": "amount",
                 "refunded": "refunded_shown"}  # fmt: skip
ATTEMPT_SHOWN = {"code": "answer", "amount": "amount_shown"}


@admin.register(Invoice)
class InvoiceAdmin(BillingAdmin):
    list_display = ("number", "customer_id", "period_start", "amount", "status", "paid_at")
    list_filter = ("status", "period_start")
    search_fields = ("number",)
    ordering = ("-period_start", "-id")
    # attnames: a customer's row is never fetched to label a foreign key
    fields = readonly_fields = [INVOICE_SHOWN.get(f.attname, f.attname)
                                for f in Invoice._meta.fields]  # fmt: skip
    actions = ["refund_in_full", "transfer_received"]
    change_list_template = "billing/admin/invoice_change_list.html"

    @admin.display(description="Total")
    def amount(self, invoice):
        return format_money(invoice.total, invoice.currency)

    @admin.display(description="Subtotal")
    def subtotal_shown(self, invoice):
        return format_money(invoice.subtotal, invoice.currency)

    @admin.display(description="Tax")
    def tax_shown(self, invoice):
        return format_money(invoice.tax, invoice.currency)

    @admin.display(description="Refunded")
    def refunded_shown(self, invoice):
        return format_money(invoice.refunded, invoice.currency)

    @admin.display(description="Lines")
    def lines_in_words(self, invoice):
        currency = invoice.currency
        return (
            "; ".join(
                f"{line.get('description', '')}: {format_money(line.get('amount', 0), currency)}"
                for line in invoice.lines or []
            )
            or "—"
        )

    @admin.display(description="Card ending in")
    def card_ending(self, invoice):
        return invoice.card_last4 or "—"

    def _actor(self, request) -> Actor:
        return Actor.for_user(request.user, staff_role(request.user))

    @admin.action(description="Refund in full through the processor", permissions=["change"])
    def refund_in_full(self, request, queryset):
        for invoice in queryset:
            try:
                refunds.refund(self._actor(request), invoice.pk)
            except PaymentError as error:
                self.message_user(request, f"{invoice.number}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{invoice.number} refunded.")

    @admin.action(description="Mark the bank transfer received", permissions=["change"])
    def transfer_received(self, request, queryset):
        done = queryset.filter(status=Invoice.Status.AWAITING_TRANSFER).update(
            status=Invoice.Status.PAID, paid_at=timezone.now()
        )
        self.message_user(request, f"{done} invoice(s) marked paid.")

    def get_urls(self):
        report = self.admin_site.admin_view(self.revenue_view)
        return [path("revenue/", report, name="billing_revenue"), *super().get_urls()]

    def revenue_view(self, request):
        """Revenue by month and currency: a sum of paid invoices, read as billing."""
        rows = self.get_queryset(request).filter(
            status__in=[Invoice.Status.PAID, Invoice.Status.REFUNDED]
        )
        months = (
            rows.values("period_start", "currency")
            .annotate(invoices=Count("id"), billed=Sum("total"), refunded=Sum("refunded"))
            .order_by("-period_start", "currency")
        )
        table = [
            {
                "month": m["period_start"].strftime("%B %Y"),
                "currency": m["currency"],
                "invoices": m["invoices"],
                "billed": format_money(m["billed"], m["currency"]),
                "refunded": format_money(m["refunded"], m["currency"]),
                "net": format_money(m["billed"] - m["refunded"], m["currency"]),
            }
            for m in months
        ]
        context = {**self.admin_site.each_context(request), "title": "Revenue by month",
                   "rows": table, "opts": self.model._meta, "today": dt.date.today()}  # fmt: skip
        return TemplateResponse(request, "billing/admin/revenue.html", context)


@admin.register(ChargeAttempt)
class ChargeAttemptAdmin(BillingAdmin):
    """Payments and failures: every try at charging an invoice, with the processor's answer."""

    list_display = ("idempotency_key", "customer_id", "status", "answer", "message",
                    "created_at")  # fmt: skip
    list_filter = ("status",)
    ordering = ("-created_at",)
    fields = readonly_fields = [ATTEMPT_SHOWN.get(f.attname, f.attname)
                                for f in ChargeAttempt._meta.fields]  # fmt: skip

    @admin.display(description="Amount")
    def amount_shown(self, attempt):
        return format_money(attempt.amount, attempt.currency)

    @admin.display(description="Processor's answer", ordering="code")
    def answer(self, attempt):
        return words.readable(attempt.code) if attempt.code else "—"

    def has_change_permission(self, request, obj=None):
        return False


class PaymentTermsForm(forms.ModelForm):
    """The customer by number: a choice list of customers would read every name."""

    customer_number = forms.IntegerField(min_value=1)
    actor: Actor  # set by the admin: the staff member asking

    class Meta:
        model = PaymentTerms
        fields = ("pays_by",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["customer_number"].initial = self.instance.customer_id
            self.fields["customer_number"].disabled = True

    def clean_customer_number(self):
        number = self.cleaned_data["customer_number"]
        if self.instance.pk:
            return self.instance.customer_id
        customers = Customer.objects.for_purpose(self.actor, Purpose.PAYMENT)
        if not customers.filter(pk=number).exists():
            raise forms.ValidationError("There is no customer with that number.")
        terms = PaymentTerms.objects.for_purpose(self.actor, Purpose.PAYMENT)
        if terms.filter(customer_id=number).exists():
            raise forms.ValidationError("That customer's terms are already set: change them.")
        return number

    def _post_clean(self):
        # The model's own checks would read rows outside the gateway; the one
        # constraint (a customer's terms are one row) is checked above, through it.
        if "pays_by" in self.cleaned_data:
            self.instance.pays_by = self.cleaned_data["pays_by"]


@admin.register(PaymentTerms)
class PaymentTermsAdmin(BillingAdmin):
    """Customers who pay by bank transfer, invoiced, rather than by card."""

    form = PaymentTermsForm
    list_display = ("customer_id", "pays_by", "created_at")
    fields = ("customer_number", "pays_by")

    def has_add_permission(self, request):
        # staff add terms here
        return super(BillingAdmin, self).has_add_permission(request)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = Actor.for_user(request.user, staff_role(request.user))
        return form

    def save_model(self, request, obj, form, change):
        """Written through the gateway, as billing, and audited."""
        rows = PaymentTerms.objects.for_purpose(
            Actor.for_user(request.user, staff_role(request.user)), Purpose.PAYMENT
        )
        if change:
            rows.filter(pk=obj.pk).update(pays_by=obj.pays_by)
        else:
            created = rows.create(
                customer_id=form.cleaned_data["customer_number"], pays_by=obj.pays_by
            )
            obj.pk = created.pk
