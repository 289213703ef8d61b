"""The figures of the start page, computed in SQL so the GUI only formats them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.banking import BookingStatus
from app.models.payments import RunStatus
from app.models.schema import (
    Allocation,
    BalanceSnapshot,
    BankAccount,
    CompanySettings,
    Invoice,
    PaymentRun,
    Transaction,
)
from app.services.forecast.projection import forecast_in
from app.services.ledger.database import Ledger
from app.services.reconciliation.overview import needing_attention

RECENT_LIMIT = 10


@dataclass(frozen=True, slots=True)
class AccountBalance:
    account_id: int
    name: str
    iban: str
    bank_name: str
    currency: str
    balance_cents: int


@dataclass(frozen=True, slots=True)
class RecentTransaction:
    transaction_id: int
    booked_on: date
    account_name: str
    counterparty_name: str
    purpose: str
    amount_cents: int
    currency: str


@dataclass(frozen=True, slots=True)
class DashboardSummary:
    company_name: str
    currency: str
    accounts: tuple[AccountBalance, ...]
    total_cents: int
    transaction_count: int
    attention_count: int  # booked payments still open or partly assigned: the bookkeeper's main number
    runs_to_approve: int  # payment runs submitted and waiting for an approver
    open_invoice_count: int
    open_invoice_cents: int
    overdue_invoice_count: int
    recent: tuple[RecentTransaction, ...]


@dataclass(frozen=True, slots=True)
class Outlook:
    """The dashboard's last card, read apart from the other figures: on a big ledger the 13-week forecast takes
    longer than all of them together, and they should not wait for it."""

    lowest_cents: int | None  # the lowest total balance the forecast reaches (None without accounts)
    lowest_from: date | None  # the first day of that week
    warning: str  # the forecast's first warning, if any


def _balances(session: Session) -> list[AccountBalance]:
    """Latest snapshot per account plus the booked transactions after its day (all of them without one)."""
    latest_day = (
        select(BalanceSnapshot.account_id, func.max(BalanceSnapshot.balance_on).label("day"))
        .group_by(BalanceSnapshot.account_id)
        .subquery()
    )
    snapshot = (
        select(
            BalanceSnapshot.account_id,
            BalanceSnapshot.balance_on.label("day"),
            func.max(BalanceSnapshot.id).label("snapshot_id"),
        )
        .join(
            latest_day,
            (latest_day.c.account_id == BalanceSnapshot.account_id) & (latest_day.c.day == BalanceSnapshot.balance_on),
        )
        .group_by(BalanceSnapshot.account_id, BalanceSnapshot.balance_on)
        .subquery()
    )
    base = (
        select(BankAccount, BalanceSnapshot.amount_cents, snapshot.c.day)
        .outerjoin(snapshot, snapshot.c.account_id == BankAccount.id)
        .outerjoin(BalanceSnapshot, BalanceSnapshot.id == snapshot.c.snapshot_id)
        .order_by(BankAccount.id)
    )
    balances = []
    for account, snapshot_cents, day in session.execute(base):
        later = select(func.coalesce(func.sum(Transaction.amount_cents), 0)).where(
            Transaction.account_id == account.id, Transaction.status == BookingStatus.BOOKED
        )
        if day is not None:
            later = later.where(Transaction.booked_on > day)
        moved = session.scalar(later) or 0
        balances.append(
            AccountBalance(
                account_id=account.id,
                name=account.name or account.iban,
                iban=account.iban,
                bank_name=account.bank_name,
                currency=account.currency,
                balance_cents=(snapshot_cents or 0) + moved,
            )
        )
    return balances


def _open_invoices(session: Session, today: date) -> tuple[int, int, int]:
    """Receivables not yet fully covered by allocations: (count, open cents, overdue count)."""
    paid = (
        select(Allocation.invoice_id, func.sum(Allocation.amount_cents).label("paid_cents"))
        .group_by(Allocation.invoice_id)
        .subquery()
    )
    open_cents = Invoice.amount_cents - func.coalesce(paid.c.paid_cents, 0)
    rows = (
        select(open_cents.label("open_cents"), Invoice.due_on)
        .outerjoin(paid, paid.c.invoice_id == Invoice.id)
        .where(Invoice.kind == "receivable", open_cents > 0)
        .subquery()
    )
    count, cents, overdue = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(rows.c.open_cents), 0),
            func.coalesce(func.sum((rows.c.due_on < today).cast(Invoice.amount_cents.type)), 0),
        )
    ).one()
    return count, cents, overdue


def _recent(session: Session) -> list[RecentTransaction]:
    query = (
        select(Transaction, BankAccount.name, BankAccount.iban)
        .join(BankAccount, BankAccount.id == Transaction.account_id)
        .order_by(Transaction.booked_on.desc(), Transaction.id.desc())
        .limit(RECENT_LIMIT)
    )
    return [
        RecentTransaction(
            transaction_id=row.id,
            booked_on=row.booked_on,
            account_name=name or iban,
            counterparty_name=row.counterparty_name,
            purpose=row.purpose,
            amount_cents=row.amount_cents,
            currency=row.currency,
        )
        for row, name, iban in session.execute(query)
    ]


def dashboard_summary(ledger: Ledger, *, today: date | None = None) -> DashboardSummary:
    """Everything the dashboard shows, read in one session. Blocks; call from a worker."""
    with ledger.session() as session:
        settings = session.scalar(select(CompanySettings).limit(1))
        currency = settings.currency if settings else "EUR"
        accounts = _balances(session)
        count, cents, overdue = _open_invoices(session, today or date.today())
        return DashboardSummary(
            company_name=settings.name if settings else "",
            currency=currency,
            accounts=tuple(accounts),
            total_cents=sum(a.balance_cents for a in accounts if a.currency == currency),
            transaction_count=session.scalar(select(func.count()).select_from(Transaction)) or 0,
            attention_count=needing_attention(session),
            runs_to_approve=session.scalar(
                select(func.count()).select_from(PaymentRun).where(PaymentRun.status == RunStatus.SUBMITTED)
            )
            or 0,
            open_invoice_count=count,
            open_invoice_cents=cents,
            overdue_invoice_count=overdue,
            recent=tuple(_recent(session)),
        )


def dashboard_outlook(ledger: Ledger, *, today: date | None = None) -> Outlook:
    """The lowest balance the 13-week forecast expects, and its first warning. Blocks; call from a worker."""
    with ledger.session() as session:
        ahead = forecast_in(session, today=today or date.today())
    lowest = min(ahead.periods, key=lambda period: period.closing_cents, default=None)
    return Outlook(
        lowest_cents=lowest.closing_cents if lowest is not None else None,
        lowest_from=lowest.start if lowest is not None else None,
        warning=ahead.warnings[0].text if ahead.warnings else "",
    )
