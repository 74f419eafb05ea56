"""Money is an integer count of a currency's minor units (cents), shown the way
people write it: format_money(1500, "USD") == "$15.00", never "1500 cents".

Babel knows each currency's symbol and number of decimals (JPY has none), so
amounts are never divided by a hard-coded 100.
"""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision
from django.utils.translation import get_language, to_locale

MAX_MINOR_UNITS = 10**12  # a bound on any one amount: ten billion dollars


def exponent(currency: str) -> int:
    """How many decimals the currency has: 2 for USD, 0 for JPY."""
    return get_currency_precision(currency.upper())


def to_decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


def format_money(minor: int, currency: str, locale: str | None = None) -> str:
    """'$15.00' for (1500, 'USD'), in the site's language."""
    locale = locale or to_locale(get_language() or "en-us")
    return format_currency(to_decimal(minor, currency), currency.upper(), locale=locale)


def share(minor: int, numerator: int, denominator: int) -> int:
    """`minor` * numerator / denominator, rounded half up to a whole minor unit (pro-rating)."""
    exact = Decimal(minor) * numerator / denominator
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(minor: int, rate: Decimal) -> int:
    """`rate` per cent of `minor`, rounded half up (tax)."""
    return int((Decimal(minor) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
