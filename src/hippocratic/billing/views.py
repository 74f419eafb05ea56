"""The customer's billing page: the card on file (as the processor's token only), the
next charge, invoices and their receipts, and the card form, which exists only where
the policy collects card data (PAY-1, PAY-3). Every read runs as the customer."""

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from hippocratic.accounts.decorators import customer_required
from hippocratic.accounts.forms import ContactForm
from hippocratic.billing import services
from hippocratic.billing.config import billing_settings
from hippocratic.billing.forms import CardForm
from hippocratic.billing.models import Invoice, PaymentMethod
from hippocratic.billing.processors import CardDetails, PaymentError
from hippocratic.enforcement.actors import Actor
from hippocratic.purposes import Purpose

CHECKOUT = {"checkout"}
INVOICE_FIELDS = ("number", "created_at", "period_start", "period_end", "status", "total",
                  "currency", "paid_at", "refunded")  # fmt: skip


def _payments_or_404():
    if not services.payments_enabled():
        raise Http404("This provider takes no payments here.")  # PAY-3


@customer_required
@never_cache
@require_safe
def home(request, me: int):
    _payments_or_404()
    actor = Actor.for_customer(me)
    cards = PaymentMethod.objects.for_purpose(actor, Purpose.PAYMENT).order_by("-created_at")
    invoices = Invoice.objects.for_purpose(actor, Purpose.PAYMENT).order_by("-period_start")
    return render(request, "billing/home.html", {
        "cards": cards.values("brand", "last4", "created_at"),
        "invoices": [
            {**row, "status_label": Invoice.Status(row["status"]).label}
            for row in invoices.values(*INVOICE_FIELDS)
        ],
        "next_charge": services.next_charge(me),
        "currency": billing_settings().currency,
        "by_transfer": services.pays_by_transfer(actor, me),
    })  # fmt: skip


@customer_required
@never_cache
@require_safe
def receipt(request, me: int, number: str):
    """A printable invoice or receipt (the browser prints it to PDF)."""
    _payments_or_404()
    mine = Invoice.objects.for_purpose(Actor.for_customer(me), Purpose.PAYMENT)
    invoice = mine.filter(number=number).first()
    if invoice is None:
        raise Http404("No such invoice of yours.")
    last_day = invoice.period_end - dt.timedelta(days=1)
    return render(request, "billing/receipt.html", {"invoice": invoice, "last_day": last_day})


@sensitive_variables("card", "form")
@sensitive_post_parameters("number", "cvc", "exp_month", "exp_year")
@customer_required
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def add_card(request, me: int):
    """The number goes to the processor, which accepts or refuses it; we keep its
    token, brand and last four, and what it refused is said in its own words."""
    _payments_or_404()
    form = CardForm(request.POST or None)
    billing = ContactForm(
        request.POST or None, model=PaymentMethod, points=CHECKOUT, only=services.BILLING_FIELDS
    )
    if request.method == "POST" and form.is_valid() and billing.is_valid():
        card = CardDetails(
            form.cleaned_data["number"], form.cleaned_data["exp_month"],
            form.cleaned_data["exp_year"], form.cleaned_data["cvc"],
        )  # fmt: skip
        try:
            method = services.add_card(Actor.for_customer(me), me, card, billing.contact_data)
        except PaymentError as refusal:
            form.add_error(None, f"The card was not added: {refusal}")
        else:
            messages.success(request, f"Card ending {method.last4} added.")
            return redirect("billing:home")
    return render(request, "billing/add_card.html", {"form": form, "billing": billing})


@customer_required
@require_POST
def remove_card(request, me: int):
    """Remove the card: detached at the processor, and deleted here."""
    _payments_or_404()
    try:
        removed = services.remove_cards(Actor.for_customer(me), me)
    except PaymentError as error:
        messages.error(request, f"The card was not removed: {error}")
    else:
        messages.success(request, "Card removed." if removed else "There was no card on file.")
    return redirect("billing:home")
