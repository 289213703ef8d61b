"""Recurring bookings found in the history: rent, salaries, taxes, insurance, leasing.

A series is the bookings of one account with the same counterparty (by name: landlords change accounts) and the
same direction, at a regular interval (weekly, monthly, quarterly, yearly) and with a similar amount. Payments of
invoices are left out: open invoices enter the forecast themselves. The bookkeeper confirms, changes or dismisses
what was found; the decision is kept in the forecast settings by the series' key.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.banking import BookingStatus, Reconciliation
from app.models.schema import Transaction
from app.services.matching.names import normalize_name
from app.services.payments.mandates import add_months

# period name -> (typical days between bookings, tolerance in days)
PERIODS = {"weekly": (7, 2), "monthly": (30, 4), "quarterly": (91, 8), "yearly": (365, 15)}
HISTORY_DAYS = 400
MAX_SPREAD = 0.35  # (90th - 10th percentile) / median of the amounts: above it, the amount is no forecast


@dataclass(frozen=True, slots=True)
class Series:
    key: str  # account id, direction and counterparty: stable across detections
    account_id: int
    name: str
    period: str
    amount_cents: int  # signed: what one booking is expected to be
    last_on: date
    count: int
    status: str = "detected"  # detected, confirmed or dismissed (the bookkeeper's decision)

    def next_dates(self, start: date, end: date) -> Iterator[date]:
        """The bookings expected from `start` to `end` (both included), continuing the series' rhythm."""
        index = 1
        while True:
            day = _step(self.last_on, self.period, index)
            if day > end:
                return
            if day >= start:
                yield day
            index += 1


def _step(last: date, period: str, times: int) -> date:
    if period == "monthly":
        return add_months(last, times)
    if period == "quarterly":
        return add_months(last, 3 * times)
    if period == "yearly":
        return add_months(last, 12 * times)
    return last + timedelta(days=PERIODS[period][0] * times)


def detect(session: Session, *, today: date) -> list[Series]:
    """Every regular series in the last 400 days that is still going (its last booking within 1.5 periods)."""
    query = select(
        Transaction.account_id, Transaction.booked_on, Transaction.amount_cents, Transaction.counterparty_name
    ).where(
        Transaction.status == BookingStatus.BOOKED,
        Transaction.booked_on >= today - timedelta(days=HISTORY_DAYS),
        Transaction.booked_on <= today,
        Transaction.reconciliation.in_([Reconciliation.OPEN, Reconciliation.IGNORED]),
        Transaction.return_of_id.is_(None),
    )
    groups: dict[tuple[int, int, str], list[tuple[date, int, str]]] = defaultdict(list)
    names: dict[str, str] = {}  # a counterparty books again and again: each spelling is normalized once
    for account_id, booked_on, cents, name in session.execute(query):
        normalized = names.get(name)
        if normalized is None:
            normalized = names[name] = normalize_name(name or "")
        if normalized and cents:
            groups[(account_id, 1 if cents > 0 else -1, normalized)].append((booked_on, cents, name))
    found = []
    for (account_id, sign, normalized), rows in groups.items():
        series = _series(account_id, sign, normalized, sorted(rows), today)
        if series is not None:
            found.append(series)
    return sorted(found, key=lambda s: (s.amount_cents, s.name))


def _series(
    account_id: int, sign: int, normalized: str, rows: list[tuple[date, int, str]], today: date
) -> Series | None:
    if len(rows) < 3:
        return None
    days = [day for day, _cents, _name in rows]
    gaps = [(later - earlier).days for earlier, later in zip(days, days[1:], strict=False)]
    middle = statistics.median(gaps)
    period = next((name for name, (typical, slack) in PERIODS.items() if abs(middle - typical) <= slack), None)
    if period is None:
        return None
    typical, slack = PERIODS[period]
    regular = sum(1 for gap in gaps if abs(gap - typical) <= slack)
    if regular < 0.7 * len(gaps) or (today - days[-1]).days > 1.5 * typical:
        return None
    amounts = sorted(abs(cents) for _day, cents, _name in rows)
    median = statistics.median(amounts)
    low, high = amounts[len(amounts) // 10], amounts[-1 - len(amounts) // 10]
    if median <= 0 or (high - low) / median > MAX_SPREAD:
        return None
    key = f"{account_id}:{'+' if sign > 0 else '-'}:{normalized}"
    return Series(key, account_id, rows[-1][2], period, sign * int(median), days[-1], len(rows))
