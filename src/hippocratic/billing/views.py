"""The customer's billing page: cards on file (as the processor's token only), invoices,
and the card form, which exists only where the policy collects card data (PAY-1, PAY-3)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_safe

from hippocratic.accounts.decorators import customer_required
from hippocratic.accounts.forms import ContactForm
from hippocratic.billing import services
from hippocratic.billing.forms import CardForm
from hippocratic.billing.models import Invoice, PaymentMethod
from hippocratic.billing.processors import CardDetails, PaymentError
from hippocratic.enforcement.actors import Actor

CHECKOUT = {"checkout"}
BILLING_FIELDS = ("billing_name", "billing_address")  # the rest comes from the processor


def _payments_or_404():
    if not services.payments_enabled():
        raise Http404("This provider takes no payments here.")  # PAY-3


@customer_required
@never_cache
@require_safe
def home(request, me: int):
    _payments_or_404()
    actor = Actor.for_customer(me)
    cards = PaymentMethod.objects.for_purpose(actor, services.BILLING).order_by("-created_at")
    invoices = Invoice.objects.for_purpose(actor, services.BILLING).order_by("-created_at")
    return render(request, "billing/home.html", {
        "cards": cards.values("brand", "last4", "created_at"),
        "invoices": invoices.values("created_at", "description", "amount_cents", "currency"),
    })  # fmt: skip


@sensitive_variables("card", "form")
@sensitive_post_parameters("number", "cvc", "exp_month", "exp_year")
@customer_required
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def add_card(request, me: int):
    """The number goes to the processor; we keep its token, brand and last four."""
    _payments_or_404()
    form = CardForm(request.POST or None)
    billing = ContactForm(
        request.POST or None, model=PaymentMethod, points=CHECKOUT, only=BILLING_FIELDS
    )
    if request.method == "POST" and form.is_valid() and billing.is_valid():
        card = CardDetails(
            form.cleaned_data["number"], form.cleaned_data["exp_month"],
            form.cleaned_data["exp_year"], form.cleaned_data["cvc"],
        )  # fmt: skip
        try:
            method = services.add_card(Actor.for_customer(me), me, card, billing.contact_data)
        except PaymentError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Card ending {method.last4} added.")
            return redirect("billing:home")
    return render(request, "billing/add_card.html", {"form": form, "billing": billing})
