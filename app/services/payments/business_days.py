"""TARGET2 business days, on which SEPA payments execute, and the lead times of direct debits."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache


@lru_cache(maxsize=64)
def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def target2_holidays(year: int) -> frozenset[date]:
    """New Year, Good Friday, Easter Monday, Labour Day, Christmas and Boxing Day."""
    easter = easter_sunday(year)
    return frozenset(
        {
            date(year, 1, 1),
            easter - timedelta(days=2),
            easter + timedelta(days=1),
            date(year, 5, 1),
            date(year, 12, 25),
            date(year, 12, 26),
        }
    )


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in target2_holidays(day.year)


def next_business_day(day: date) -> date:
    """The day itself if TARGET2 is open, else the next day it is."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def add_business_days(day: date, count: int) -> date:
    """`count` TARGET2 business days after `day` (the day itself not counted)."""
    for _step in range(count):
        day = next_business_day(day + timedelta(days=1))
    return day


def earliest_collection(today: date, lead_days: int) -> date:
    """The first due date a debit handed to the bank today can have, `lead_days` business days ahead."""
    return add_business_days(today, max(lead_days, 1))
