"""A product's landing page with its order form (CK-2). "Keep what I typed" puts the
form in the order-form cookie; "Place the order" forwards it to the sales-tracking
records (through the gateway, for the sales purpose) and deletes the cookie."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from hippocratic.accounts.forms import ContactForm
from hippocratic.accounts.models import Service
from hippocratic.enforcement.actors import Actor
from hippocratic.money import format_money
from hippocratic.purposes import Purpose
from hippocratic.sales import affiliates, order_cookie
from hippocratic.sales.models import Affiliate, Order

ORDER_FORM = {"order_form"}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def landing(request, code: str):
    if not order_cookie.orders_taken():
        raise Http404("This provider takes orders through sign-up.")
    service = get_object_or_404(Service, code=code, available=True)
    names = set(ContactForm(model=Order, points=ORDER_FORM).fields)
    kept = order_cookie.read(request, names)
    data = request.POST if request.method == "POST" else None
    form = ContactForm(data, initial=kept, model=Order, points=ORDER_FORM)
    price = format_money(service.monthly_price_cents, service.currency)
    context = {"service": service, "price": price, "form": form, "kept": bool(kept)}
    if request.method == "POST" and "keep" in request.POST:
        typed = {k: str(request.POST.get(k, ""))[:500] for k in names}
        again = ContactForm(initial=typed, model=Order, points=ORDER_FORM)
        response = render(request, "sales/landing.html", {**context, "kept": True, "form": again})
        if not order_cookie.keep(response, request, typed):
            context["too_long"] = True
            return render(request, "sales/landing.html", context)
        return response
    if request.method == "POST" and form.is_valid():
        # The visitor's own order, forwarded for the sales purpose only.
        Order.objects.for_purpose(Actor("customer", "order-form"), Purpose.SALES).create(
            service=service, **{k: v for k, v in form.contact_data.items() if v}
        )
        response = render(request, "sales/ordered.html", {"service": service})
        order_cookie.forget(response)
        return response
    return render(request, "sales/landing.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def affiliate_link(request, code: str):
    """An affiliate's link: asks before any cookie; only "Yes" sets one (CK-5)."""
    if affiliates.declared() is None:
        raise Http404("This provider has no affiliate links.")
    affiliate = get_object_or_404(Affiliate, code=code, active=True)
    if request.method == "POST":
        response = redirect("site:home")
        if request.POST.get("accept") == "1":
            affiliates.set_cookie(response, request, affiliate.code)
        return response
    return render(request, "sales/affiliate.html", {"affiliate": affiliate})
