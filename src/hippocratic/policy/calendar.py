"""Deadlines in business days, on the provider's holiday calendar.

    due_date(date(2026, 12, 18), 10, business=True, holidays="US") -> date(2027, 1, 5)

A business day is Monday to Friday, less the public holidays of the calendar the
policy names (`provider.holidays`: a country code such as "US", or "US-CA" for a
subdivision), as the `holidays` library keeps them. Without a calendar only
weekends are skipped. Pure Python: the policy core imports no Django.
"""

import datetime as dt
import re
from functools import cache

import holidays as holiday_calendars

MAX_DAYS = 3660  # ten years: a deadline beyond it is a typo, not a promise


@cache
def _calendar(code: str | None):
    if not code:
        return frozenset()
    country, _, subdivision = code.partition("-")
    return holiday_calendars.country_holidays(country, subdiv=subdivision or None)


def calendar_name(code: str) -> str:
    """The country a calendar code names, in words: "US" -> "the United States"."""
    country, _, subdivision = code.partition("-")
    entity = type(holiday_calendars.country_holidays(country)).__mro__[1].__name__
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", entity)
    name = f"the {words}" if words.startswith(("United", "Czech", "Nether")) else words
    return f"{name} ({subdivision})" if subdivision else name


def known_calendar(code: str) -> bool:
    country, _, subdivision = code.partition("-")
    supported = holiday_calendars.list_supported_countries()
    return country in supported and (not subdivision or subdivision in supported[country])


def is_business_day(day: dt.date, holidays: str | None = None) -> bool:
    return day.weekday() < 5 and day not in _calendar(holidays)


def due_date(received: dt.date, days: int, *, business: bool, holidays: str | None = None):
    """The day `days` days (or business days) after `received`; the day received
    does not count, so a request received on Friday with 1 business day is due Monday."""
    if not 0 <= days <= MAX_DAYS:
        raise ValueError(f"{days} days is not a deadline, expected 0 to {MAX_DAYS}")
    if not business:
        return received + dt.timedelta(days=days)
    day = received
    while days:
        day += dt.timedelta(days=1)
        if is_business_day(day, holidays):
            days -= 1
    return day
