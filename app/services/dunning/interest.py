"""Default interest under § 288 BGB: the base rate (§ 247 BGB) plus 9 points between businesses, plus 5 with a
consumer, per day (actual/365), split where the base rate changes.

The base rate changes on 1 January and 1 July; the Bundesbank publishes it. The defaults below are its published
values (Bundesanzeiger; 2026-01-01 stayed at 1.27 %); the ledger keeps its own table, which the user extends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

BASE_RATES: tuple[tuple[date, Decimal], ...] = (
    (date(2023, 1, 1), Decimal("1.62")),
    (date(2023, 7, 1), Decimal("3.12")),
    (date(2024, 1, 1), Decimal("3.62")),
    (date(2024, 7, 1), Decimal("3.37")),
    (date(2025, 1, 1), Decimal("2.27")),
    (date(2025, 7, 1), Decimal("1.27")),
    (date(2026, 1, 1), Decimal("1.27")),
)
POINTS_BUSINESS = Decimal("9")
POINTS_CONSUMER = Decimal("5")
LUMP_SUM_CENTS = 4000  # § 288 (5) BGB: €40 per claim against a business


class BaseRateMissingError(ValueError):
    """A period before the first known base rate: the table must be extended first."""


@dataclass(frozen=True, slots=True)
class InterestPeriod:
    start: date  # first day of interest
    end: date  # last day of interest
    rate: Decimal  # yearly percent: base rate plus the points

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def interest_periods(
    first_day: date, last_day: date, rates: Sequence[tuple[date, Decimal]], *, consumer: bool
) -> list[InterestPeriod]:
    """The days from `first_day` to `last_day` (both counted), cut where the base rate changes."""
    if last_day < first_day:
        return []
    ordered = sorted(rates)
    if not ordered or ordered[0][0] > first_day:
        raise BaseRateMissingError(first_day)
    points = POINTS_CONSUMER if consumer else POINTS_BUSINESS
    periods = []
    for index, (valid_from, base) in enumerate(ordered):
        valid_to = ordered[index + 1][0] - timedelta(days=1) if index + 1 < len(ordered) else last_day
        start, end = max(first_day, valid_from), min(last_day, valid_to)
        if start <= end:
            periods.append(InterestPeriod(start, end, base + points))
    return periods


def default_interest_cents(
    open_cents: int, due_on: date, until: date, rates: Sequence[tuple[date, Decimal]], *, consumer: bool
) -> int:
    """Interest on `open_cents` from the day after `due_on` to `until`, summed exactly and rounded once."""
    periods = interest_periods(due_on + timedelta(days=1), until, rates, consumer=consumer)
    total = sum((Decimal(open_cents) * p.rate / 100 * p.days / 365 for p in periods), Decimal(0))
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))
