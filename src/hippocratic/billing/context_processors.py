"""What every template may know of billing: where the billing page is, where the
policy takes payments at all (PAY-3: nowhere for Dracon)."""

from django.urls import reverse

from hippocratic.billing.services import payments_enabled


def billing(request) -> dict:
    return {"billing_url": reverse("billing:home") if payments_enabled() else None}
