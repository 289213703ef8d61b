"""The cash forecast: today's balances plus everything known to come, week by week (or month by month).

What comes: open receivables at their due date shifted by the customer's measured payment delay, open payables
at their due date, submitted and approved payment runs at their execution date, recurring bookings (detected and
not dismissed, or confirmed), and planned items. Anything already overdue is expected today. Every figure is the
sum of items the caller can list, so a week's balance is always explained. A scenario shifts customers or runs.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.payments import RunStatus
from app.models.schema import Allocation, Invoice, Notification, PaymentOrder, PaymentRun, Transaction
from app.services.forecast.recurring import Series, detect
from app.services.forecast.settings import ForecastSettings, load_settings
from app.services.formatting import format_cents, format_date, to_cents
from app.services.i18n import _
from app.services.invoices.open_items import UNPAID, InvoiceFilter, invoice_rows_in
from app.services.ledger.database import Ledger
from app.services.ledger.settings import read_section, write_section
from app.services.matching import PAYABLE, RECEIVABLE
from app.services.payments.mandates import add_months
from app.services.statements.balances import accounts_overview, daily_balances

MAX_DELAY_DAYS = 90


@dataclass(frozen=True, slots=True)
class Item:
    on: date
    amount_cents: int
    kind: str  # receivable, payable, run, recurring, planned
    text: str
    account_id: int


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date
    opening_cents: int
    items: tuple[Item, ...]
    closing_by_account: Mapping[int, int]

    @property
    def closing_cents(self) -> int:
        return sum(self.closing_by_account.values())

    @property
    def change_cents(self) -> int:
        return sum(item.amount_cents for item in self.items)

    def closing_of(self, account_id: int | None) -> int:
        """The balance at the period's end of one account, or of all (None)."""
        return self.closing_cents if account_id is None else self.closing_by_account.get(account_id, 0)

    def items_of(self, account_id: int | None) -> tuple[Item, ...]:
        return self.items if account_id is None else tuple(i for i in self.items if i.account_id == account_id)


@dataclass(frozen=True, slots=True)
class AccountLine:
    id: int
    label: str
    balance_cents: int
    credit_line_cents: int


@dataclass(frozen=True, slots=True)
class ForecastWarning:
    period_start: date
    account_id: int | None  # None: the total against the minimum balance
    text: str


@dataclass(frozen=True, slots=True)
class Scenario:
    """What-ifs: customers paying later (customer id -> extra days), runs delayed (run id -> days); the
    `everyone` and `every_run` days apply to all customers and all runs on top."""

    customer_delays: Mapping[int, int] = field(default_factory=dict)
    run_delays: Mapping[int, int] = field(default_factory=dict)
    everyone: int = 0
    every_run: int = 0


@dataclass(frozen=True, slots=True)
class Forecast:
    today: date
    accounts: tuple[AccountLine, ...]
    periods: tuple[Period, ...]
    warnings: tuple[ForecastWarning, ...]
    series: tuple[Series, ...]
    minimum_cents: int
    accuracy: Accuracy | None = None

    @property
    def opening_cents(self) -> int:
        return sum(account.balance_cents for account in self.accounts)


def forecast(
    ledger: Ledger, *, today: date | None = None, weeks: int = 13, months: int = 0, scenario: Scenario | None = None
) -> Forecast:
    """The forecast from today: `weeks` periods of seven days, or `months` calendar months when given."""
    with ledger.session() as session:
        return forecast_in(session, today=today or date.today(), weeks=weeks, months=months, scenario=scenario)


def forecast_in(
    session: Session, *, today: date, weeks: int = 13, months: int = 0, scenario: Scenario | None = None
) -> Forecast:
    scenario = scenario or Scenario()
    settings = load_settings(session)
    bounds = _bounds(today, weeks=weeks, months=months)
    horizon = bounds[-1][1]
    accounts = tuple(
        AccountLine(a.account_id, a.label, to_cents(a.balance), settings.credit_lines.get(a.account_id, 0))
        for a in accounts_overview(session)
    )
    if not accounts:
        return Forecast(today, (), (), (), (), settings.minimum_cents)
    main = _main_account(session, [account.id for account in accounts])
    series = _series(session, today, settings)
    items = [
        *_invoices(session, today, main, scenario),
        *_runs(session, today, main, scenario),
        *_recurring(series, today, horizon),
        *(
            Item(max(p.on, today), p.amount_cents, "planned", p.text, p.account_id or main)
            for p in settings.planned
            if p.on <= horizon
        ),
    ]
    balances = {account.id: account.balance_cents for account in accounts}
    periods = []
    for start, end in bounds:
        inside = tuple(sorted((i for i in items if start <= i.on <= end), key=lambda i: (i.on, i.amount_cents)))
        opening = sum(balances.values())
        for item in inside:
            balances[item.account_id] = balances.get(item.account_id, 0) + item.amount_cents
        periods.append(Period(start, end, opening, inside, dict(balances)))
    warnings = _warnings(periods, accounts, settings.minimum_cents)
    accuracy = accuracy_in(session, today=today)
    return Forecast(today, accounts, tuple(periods), warnings, tuple(series), settings.minimum_cents, accuracy)


def _bounds(today: date, *, weeks: int, months: int) -> list[tuple[date, date]]:
    if months:
        bounds, start = [], today
        for index in range(months):
            end = add_months(date(today.year, today.month, 1), index + 1) - timedelta(days=1)
            bounds.append((start, end))
            start = end + timedelta(days=1)
        return bounds
    return [(today + timedelta(days=7 * i), today + timedelta(days=7 * i + 6)) for i in range(max(1, weeks))]


def _main_account(session: Session, ids: list[int]) -> int:
    """Where invoices are paid in and out: the account with the most bookings."""
    counts = dict(
        session.execute(
            select(Transaction.account_id, func.count())
            .where(Transaction.account_id.in_(ids))
            .group_by(Transaction.account_id)
        ).all()
    )
    return max(ids, key=lambda account_id: (counts.get(account_id, 0), -account_id))


def _series(session: Session, today: date, settings: ForecastSettings) -> list[Series]:
    found = []
    for series in detect(session, today=today):
        status = settings.decisions.get(series.key, "detected")
        amount = settings.amounts.get(series.key, series.amount_cents)
        found.append(replace(series, status=status, amount_cents=amount))
    return found


def _recurring(series: list[Series], today: date, horizon: date) -> list[Item]:
    return [
        Item(day, s.amount_cents, "recurring", s.name, s.account_id)
        for s in series
        if s.status != "dismissed"
        for day in s.next_dates(today, horizon)
    ]


def _delays(session: Session) -> tuple[dict[int, int], int]:
    """Each customer's median payment delay in days after the due date (and everyone's), from the allocations."""
    query = (
        select(Invoice.customer_id, Transaction.booked_on, Invoice.due_on)
        .join(Allocation, Allocation.invoice_id == Invoice.id)
        .join(Transaction, Transaction.id == Allocation.transaction_id)
        .where(Invoice.kind == RECEIVABLE, Invoice.due_on.is_not(None))
    )
    by_customer: dict[int, list[int]] = defaultdict(list)
    for customer_id, paid_on, due_on in session.execute(query):
        assert due_on is not None  # the query's condition
        by_customer[customer_id].append(min(MAX_DELAY_DAYS, max(0, (paid_on - due_on).days)))
    all_delays = [delay for delays in by_customer.values() for delay in delays]
    overall = int(statistics.median(all_delays)) if all_delays else 0
    return {customer: int(statistics.median(delays)) for customer, delays in by_customer.items()}, overall


def _invoices(session: Session, today: date, main: int, scenario: Scenario) -> list[Item]:
    """Open receivables when the customer usually pays; open payables when due. Those in a run are the run's."""
    in_runs = set(session.scalars(select(PaymentOrder.invoice_id).where(PaymentOrder.invoice_id.is_not(None))))
    delays, overall = _delays(session)
    items = []
    for row in invoice_rows_in(session, InvoiceFilter(status="open"), today=today):
        if row.status not in UNPAID or row.id in in_runs or row.currency != "EUR":
            continue
        due = row.due_on or row.issued_on
        cents = to_cents(row.open_amount)
        if row.kind == PAYABLE:
            items.append(Item(max(due, today), -cents, "payable", f"{row.number} {row.customer_name}", main))
            continue
        later = scenario.customer_delays.get(row.customer_id, 0) + scenario.everyone
        delay = delays.get(row.customer_id, overall) + later
        expected = max(due + timedelta(days=delay), today + timedelta(days=later))
        items.append(Item(expected, cents, "receivable", f"{row.number} {row.customer_name}", main))
    return items


def _runs(session: Session, today: date, main: int, scenario: Scenario) -> list[Item]:
    """Submitted and approved runs: out (transfers) or in (direct debits) on their execution date."""
    query = (
        select(PaymentRun, func.sum(PaymentOrder.amount_cents), func.count())
        .join(PaymentOrder, PaymentOrder.run_id == PaymentRun.id)
        .where(PaymentRun.status.in_([RunStatus.SUBMITTED, RunStatus.APPROVED]))
        .group_by(PaymentRun.id)
    )
    items = []
    for run, cents, count in session.execute(query):
        day = max(run.execution_on, today) + timedelta(days=scenario.run_delays.get(run.id, 0) + scenario.every_run)
        sign = 1 if run.kind == "debit" else -1
        text = _("payment run {id} ({n} orders)").format(id=run.id, n=count)
        items.append(Item(day, sign * int(cents), "run", text, run.account_id or main))
    return items


def _warnings(periods: list[Period], accounts: tuple[AccountLine, ...], minimum: int) -> tuple[ForecastWarning, ...]:
    """The first period each account goes below its credit line, and the first the total goes below the minimum,
    each with the period's largest outgoing items."""
    warnings = []
    for account in accounts:
        for period in periods:
            closing = period.closing_by_account.get(account.id, 0)
            if closing < -account.credit_line_cents:
                text = _("{account} falls below its credit line of {limit} in the week from {day}: {balance}.").format(
                    account=account.label,
                    limit=format_cents(account.credit_line_cents),
                    day=format_date(period.start),
                    balance=format_cents(closing),
                )
                own = [i for i in period.items if i.account_id == account.id]
                warnings.append(ForecastWarning(period.start, account.id, text + _drivers(own)))
                break
    for period in periods:
        if minimum and period.closing_cents < minimum:
            text = _(
                "The total balance falls below the minimum of {minimum} in the week from {day}: {balance}."
            ).format(
                minimum=format_cents(minimum),
                day=format_date(period.start),
                balance=format_cents(period.closing_cents),
            )
            warnings.append(ForecastWarning(period.start, None, text + _drivers(list(period.items))))
            break
    return tuple(warnings)


def _drivers(items: list[Item]) -> str:
    largest = sorted((i for i in items if i.amount_cents < 0), key=lambda i: i.amount_cents)[:3]
    if not largest:
        return ""
    named = ", ".join(f"{i.text} ({format_cents(i.amount_cents)})" for i in largest)
    return " " + _("Largest payments: {items}.").format(items=named)


FORECAST_KIND = "forecast"


def notify_warnings(ledger: Ledger, *, today: date | None = None) -> int:
    """A notification for each forecast warning not raised before in the same words; returns how many are new.
    The forecast is also kept, for judging its accuracy later."""
    with ledger.writer() as session:
        result = forecast_in(session, today=today or date.today())
        remember(session, result)
        raised = set(session.scalars(select(Notification.message).where(Notification.kind == FORECAST_KIND)))
        new = [warning.text for warning in result.warnings if warning.text not in raised]
        session.add_all(Notification(kind=FORECAST_KIND, message=text) for text in new)
        return len(new)


HISTORY_SECTION = "forecast_history"
KEPT_FORECASTS = 60


@dataclass(frozen=True, slots=True)
class Accuracy:
    """How far earlier forecasts were from what happened, over every predicted week-end now past."""

    compared: int  # predicted week-ends compared with the actual total balance
    mean_abs_cents: int  # average miss, either way
    mean_cents: int  # average forecast minus actual: above 0 the forecasts were too hopeful


def remember(session: Session, result: Forecast) -> None:
    """Keep the day's first weekly forecast (the last 60 days that had one), so that later ones can be judged
    against it; later imports of the same day write nothing (each write is a settings change in the audit log)."""
    stored: dict[str, list[list[Any]]] = read_section(session, HISTORY_SECTION, {}) or {}
    if result.today.isoformat() in stored:
        return
    stored[result.today.isoformat()] = [[p.end.isoformat(), p.closing_cents] for p in result.periods]
    kept = dict(sorted(stored.items())[-KEPT_FORECASTS:])
    write_section(session, HISTORY_SECTION, kept, actor="kontor", summary=f"forecast of {result.today.isoformat()}")


def accuracy_in(session: Session, *, today: date) -> Accuracy | None:
    """Earlier forecasts against the actual total balance at each predicted week-end before today."""
    stored: dict[str, list[list[Any]]] = read_section(session, HISTORY_SECTION, {}) or {}
    actual = daily_balances(session, None)
    misses = []
    for made_on, predictions in stored.items():
        for end, predicted in predictions:
            day = date.fromisoformat(end)
            if date.fromisoformat(made_on) <= day < today:
                misses.append(predicted - _balance_on(actual, day))
    if not misses:
        return None
    return Accuracy(len(misses), round(sum(abs(m) for m in misses) / len(misses)), round(sum(misses) / len(misses)))


def _balance_on(series: list[tuple[date, Decimal]], day: date) -> int:
    """The total balance in force on `day` (the last point on or before it)."""
    before = [amount for point, amount in series if point <= day]
    return to_cents(before[-1]) if before else 0


def accuracy_text(accuracy: Accuracy) -> str:
    """One sentence on how good the forecasts were, for the page and the command line."""
    sentence = _("Earlier forecasts, {n} week-ends compared: off by {miss} on average; forecast minus actual {bias}.")
    return sentence.format(
        n=accuracy.compared,
        miss=format_cents(accuracy.mean_abs_cents),
        bias=format_cents(accuracy.mean_cents),
    )
