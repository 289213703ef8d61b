"""Account balances as the bank would state them: reconstructed from balance snapshots and bookings.

A snapshot is the balance at the end of its day (what a statement's closing balance says). Between snapshots
the balance moves by the booked transactions; pending and replaced rows do not count until booked."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.banking import BookingStatus
from app.models.schema import BalanceSnapshot, BankAccount, Transaction
from app.services.formatting import from_cents


@dataclass(frozen=True, slots=True)
class AccountSummary:
    account_id: int
    bank_name: str
    iban: str
    name: str
    currency: str
    balance: Decimal
    updated_on: date | None  # the newest snapshot or booking day; None for an account without either

    @property
    def label(self) -> str:
        return self.name or self.iban


def _snapshots(session: Session, account_id: int) -> dict[date, int]:
    """The balance at the end of each snapshot day; the newest snapshot of a day wins."""
    rows = session.execute(
        select(BalanceSnapshot.balance_on, BalanceSnapshot.amount_cents)
        .where(BalanceSnapshot.account_id == account_id)
        .order_by(BalanceSnapshot.balance_on, BalanceSnapshot.id)
    )
    return {day: cents for day, cents in rows}


def _daily_sums(session: Session, account_id: int) -> dict[date, int]:
    rows = session.execute(
        select(Transaction.booked_on, func.sum(Transaction.amount_cents))
        .where(Transaction.account_id == account_id, Transaction.status == BookingStatus.BOOKED)
        .group_by(Transaction.booked_on)
    )
    return {day: cents for day, cents in rows}


def _daily_cents(session: Session, account_id: int) -> list[tuple[date, int]]:
    """End-of-day balance on every day it changed or was stated, plus the opening day before the first booking.

    Days from the first snapshot on walk forwards (each later snapshot resets the balance, so a gap in the
    imported statements does not drift the curve); days before it walk backwards from it."""
    snapshots = _snapshots(session, account_id)
    sums = _daily_sums(session, account_id)
    days = sorted(snapshots.keys() | sums.keys())
    if not days:
        return []
    balances: dict[date, int] = {}
    if snapshots:
        anchor = min(snapshots)
        balance = snapshots[anchor]
        for day in reversed([d for d in days if d <= anchor]):
            balances[day] = balance
            balance -= sums.get(day, 0)
        opening = balance
        balance = snapshots[anchor]
        for day in (d for d in days if d > anchor):
            balance = snapshots[day] if day in snapshots else balance + sums.get(day, 0)
            balances[day] = balance
    else:
        opening = 0
        balance = 0
        for day in days:
            balance += sums[day]
            balances[day] = balance
    first = days[0]
    if first not in snapshots:
        balances[first - timedelta(days=1)] = opening
    return sorted(balances.items())


def _value_on(series: list[tuple[date, int]], day: date) -> int:
    """The balance in force on `day`; before the first point, the first (opening) balance."""
    position = bisect_right(series, (day, float("inf"))) - 1
    return series[max(position, 0)][1]


def daily_balances(session: Session, account_id: int | None) -> list[tuple[date, Decimal]]:
    """Balance points for a step chart (each holds until the next); the sum of all accounts for None.

    For the total, an account contributes its opening balance on days before its first record."""
    if account_id is not None:
        return [(day, from_cents(cents)) for day, cents in _daily_cents(session, account_id)]
    series = [s for s in (_daily_cents(session, a) for a in session.scalars(select(BankAccount.id))) if s]
    days = sorted({day for s in series for day, _cents in s})
    return [(day, from_cents(sum(_value_on(s, day) for s in series))) for day in days]


def accounts_overview(session: Session) -> list[AccountSummary]:
    """Every account with its current balance: the newest snapshot plus the bookings after its day."""
    summaries = []
    for account in session.scalars(select(BankAccount).order_by(BankAccount.bank_name, BankAccount.name)):
        snapshot = session.execute(
            select(BalanceSnapshot.balance_on, BalanceSnapshot.amount_cents)
            .where(BalanceSnapshot.account_id == account.id)
            .order_by(BalanceSnapshot.balance_on.desc(), BalanceSnapshot.id.desc())
            .limit(1)
        ).first()
        later = select(func.coalesce(func.sum(Transaction.amount_cents), 0), func.max(Transaction.booked_on)).where(
            Transaction.account_id == account.id, Transaction.status == BookingStatus.BOOKED
        )
        if snapshot is not None:
            later = later.where(Transaction.booked_on > snapshot.balance_on)
        moved, last_booking = session.execute(later).one()
        stated_on = snapshot.balance_on if snapshot is not None else None
        updated = max((d for d in (stated_on, last_booking) if d is not None), default=None)
        summaries.append(
            AccountSummary(
                account_id=account.id,
                bank_name=account.bank_name,
                iban=account.iban,
                name=account.name,
                currency=account.currency,
                balance=from_cents((snapshot.amount_cents if snapshot is not None else 0) + moved),
                updated_on=updated,
            )
        )
    return summaries


def total_balance(summaries: list[AccountSummary], currency: str = "EUR") -> Decimal:
    """The sum of the accounts held in `currency` (other currencies cannot be added without a rate)."""
    return sum((s.balance for s in summaries if s.currency == currency), Decimal("0.00"))
