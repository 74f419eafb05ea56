"""The provider's billing settings (settings.HIPPOCRATIC_BILLING), checked once."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from hippocratic.money import exponent


@dataclass(frozen=True)
class BillingSettings:
    currency: str
    tax_rate_percent: Decimal
    retry_after: tuple[dt.timedelta, ...]  # after the invoice is issued; then suspension
    invoice_prefix: str

    @property
    def attempts(self) -> int:
        """The first charge and each retry."""
        return 1 + len(self.retry_after)


def billing_settings() -> BillingSettings:
    raw = dict(getattr(settings, "HIPPOCRATIC_BILLING", {}) or {})
    currency = str(raw.get("currency", "USD")).upper()
    try:
        exponent(currency)
        rate = Decimal(str(raw.get("tax_rate_percent", "0")))
    except (ValueError, InvalidOperation) as error:
        raise ImproperlyConfigured(f"HIPPOCRATIC_BILLING: {error}") from None
    if not (len(currency) == 3 and currency.isalpha()):
        raise ImproperlyConfigured(f"HIPPOCRATIC_BILLING: {currency!r} is not a currency code")
    if not 0 <= rate < 100:
        raise ImproperlyConfigured("HIPPOCRATIC_BILLING: tax_rate_percent must be 0 to 100")
    days = tuple(int(d) for d in raw.get("retry_after_days", (3, 5, 7)))
    if list(days) != sorted(set(days)) or any(d <= 0 for d in days):
        raise ImproperlyConfigured("HIPPOCRATIC_BILLING: retry_after_days must rise from 1")
    return BillingSettings(
        currency=currency,
        tax_rate_percent=rate,
        retry_after=tuple(dt.timedelta(days=d) for d in days),
        invoice_prefix=str(raw.get("invoice_prefix", "INV"))[:10],
    )
