"""Billing periods and pro-rating: pure date arithmetic, no database.

Services are billed by the calendar month, in arrears: the run early in December
invoices November. A service that ran for part of the month costs its share of the
monthly price by days (started on the 21st of a 30-day month: 10/30).
"""

import datetime as dt
from dataclasses import dataclass

from hippocratic.money import share


@dataclass(frozen=True)
class Period:
    start: dt.date  # the first day
    end: dt.date  # the day after the last

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def code(self) -> str:
        return f"{self.start:%Y%m}"

    def label(self) -> str:
        return f"{self.start:%B %Y}"


def month_of(day: dt.date) -> Period:
    start = day.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return Period(start, end)


def last_complete_month(today: dt.date) -> Period:
    """The month before the one `today` is in."""
    return month_of(today.replace(day=1) - dt.timedelta(days=1))


def days_used(period: Period, started: dt.date, ended: dt.date | None) -> int:
    """Days of `period` on which a service that started on `started` and ended on
    `ended` (exclusive; None while it runs) was running."""
    first = max(period.start, started)
    last = min(period.end, ended) if ended else period.end
    return max(0, (last - first).days)


def prorated(monthly_price: int, period: Period, days: int) -> int:
    """The price of `days` days of a month-long `period`, in minor units."""
    if days >= period.days:
        return monthly_price
    return share(monthly_price, days, period.days)


def charge_for(
    monthly_price: int, period: Period, started: dt.date, ended: dt.date | None
) -> tuple[int, int]:
    """(days used, amount) of a service that ran from `started` to `ended` in `period`."""
    days = days_used(period, started, ended)
    return days, prorated(monthly_price, period, days)
