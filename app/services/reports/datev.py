"""The bank bookings for the tax advisor: a DATEV "Buchungsstapel" (EXTF format 700, category 21).

Every booked transaction of the period appears exactly once, split by what paid it: one line per allocation to
an invoice (the customer's or supplier's personal account, the invoice number as Belegfeld 1, Skonto in its field)
and the rest, or the whole of an unallocated booking, on the transit account for the advisor to assign. The
bank account is "Konto", the other side "Gegenkonto"; "S" means money came into the bank. cp1252, semicolons,
decimal commas, Belegdatum as DDMM, as DATEV reads it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.banking import BookingStatus
from app.models.schema import Allocation, BankAccount, Customer, Invoice, Transaction
from app.services.errors import KontorError
from app.services.i18n import _
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.settings import read_section, write_section
from app.services.matching import PAYABLE
from app.services.private_files import open_private

SECTION = "datev"
COLUMNS = (
    "Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "WKZ Umsatz", "Kurs", "Basis-Umsatz",
    "WKZ Basis-Umsatz", "Konto", "Gegenkonto (ohne BU-Schlüssel)", "BU-Schlüssel", "Belegdatum", "Belegfeld 1",
    "Belegfeld 2", "Skonto", "Buchungstext",
)  # fmt: skip
# Chart presets: the first bank account's ledger account and the transit account ("Geldtransit")
CHARTS = {"SKR03": (1200, 1360), "SKR04": (1800, 1460)}


class DatevError(KontorError, ValueError):
    """An export that cannot be made as asked; the message says what to set."""


@dataclass(frozen=True, slots=True)
class DatevSettings:
    consultant: int = 0  # Beraternummer, 1001-9999999
    client: int = 0  # Mandantennummer, 1-99999
    chart: str = "SKR03"
    fiscal_year_start: str = "0101"  # MMDD
    initials: str = "KO"
    bank_accounts: dict[int, int] = field(default_factory=dict)  # our account id -> its ledger account
    transit: int = 0  # 0: the chart's Geldtransit account
    exported: tuple[tuple[str, str], ...] = ()  # periods exported before (from, to)


@dataclass(frozen=True, slots=True)
class DatevExport:
    path: Path
    lines: int
    transactions: int
    earlier: tuple[tuple[str, str], ...]  # exported periods this one overlaps: the advisor may get bookings twice


def load_settings(session: Session) -> DatevSettings:
    stored: dict[str, Any] = read_section(session, SECTION, {}) or {}
    accounts = {int(key): int(value) for key, value in stored.pop("bank_accounts", {}).items()}
    exported = tuple(tuple(pair) for pair in stored.pop("exported", []))
    return replace(DatevSettings(**stored), bank_accounts=accounts, exported=exported)


def datev_settings(ledger: Ledger) -> DatevSettings:
    with ledger.session() as session:
        return load_settings(session)


def _save(session: Session, settings: DatevSettings, *, actor: str, summary: str) -> None:
    value = asdict(settings)
    value["bank_accounts"] = {str(key): number for key, number in settings.bank_accounts.items()}
    value["exported"] = [list(pair) for pair in settings.exported]
    write_section(session, SECTION, value, actor=actor, summary=summary)


def update_settings(ledger: Ledger, *, actor: str, **changes: Any) -> DatevSettings:
    with ledger.writer() as session:
        settings = replace(load_settings(session), **changes)
        if settings.chart not in CHARTS:
            raise DatevError(_("The chart of accounts is SKR03 or SKR04."))
        _save(session, settings, actor=actor, summary="DATEV settings: " + ", ".join(sorted(changes)))
        return settings


def _personal(customer: Customer, kind: str) -> int:
    """DATEV's personal account: debtors 10000-69999, creditors 70000-99999 (five digits to four-digit ledger
    accounts); a customer number in that range is kept, else the customer's id is added to the range's start."""
    low, high = (70000, 99999) if kind == PAYABLE else (10000, 69999)
    digits = "".join(char for char in customer.number if char.isdigit())
    if digits and low <= int(digits) <= high:
        return int(digits)
    return low + customer.id


def _money(cents: int) -> str:
    return f"{abs(cents) // 100},{abs(cents) % 100:02d}"


def export_datev(ledger: Ledger, path: Path, *, start: date, end: date, actor: str) -> DatevExport:
    """Write the period's bank bookings as a Buchungsstapel; remembers the period and audits the export."""
    if end < start:
        raise DatevError(_("The period ends before it starts."))
    with ledger.writer() as session:
        settings = load_settings(session)
        if not 1001 <= settings.consultant <= 9999999 or not 1 <= settings.client <= 99999:
            raise DatevError(
                _("Set the consultant and client numbers first: kontor export datev-settings --consultant N --client N")
            )
        rows, count = _rows(session, settings, start, end)
        earlier = tuple(p for p in settings.exported if p[0] <= end.isoformat() and start.isoformat() <= p[1])
        text = _document(settings, rows, start, end)
        with open_private(path, "w", encoding="cp1252", errors="replace", newline="") as stream:
            stream.write(text)
        period = (start.isoformat(), end.isoformat())
        _save(session, replace(settings, exported=(*settings.exported, period)), actor=actor,
              summary=f"DATEV export {period[0]}..{period[1]}: {len(rows)} lines, {count} bookings")  # fmt: skip
        audit.record(session, actor=actor, action="export", entity="datev", entity_id=None,
                     data={"from": period[0], "to": period[1], "lines": len(rows)}, summary=str(path.name))  # fmt: skip
    return DatevExport(path, len(rows), count, earlier)


def _rows(session: Session, settings: DatevSettings, start: date, end: date) -> tuple[list[list[str]], int]:
    first_bank, chart_transit = CHARTS[settings.chart]
    transit = settings.transit or chart_transit
    account_ids = list(session.scalars(select(BankAccount.id).order_by(BankAccount.id)))
    banks = {aid: settings.bank_accounts.get(aid, first_bank + n) for n, aid in enumerate(account_ids)}
    query = (
        select(Transaction)
        .where(Transaction.booked_on >= start, Transaction.booked_on <= end, Transaction.status == BookingStatus.BOOKED)
        .order_by(Transaction.booked_on, Transaction.id)
    )
    rows: list[list[str]] = []
    transactions = list(session.scalars(query))
    for tx in transactions:
        bank = banks[tx.account_id]
        incoming = tx.amount_cents > 0
        text = " ".join(f"{tx.counterparty_name} {tx.purpose}".split())[:60]
        rest = abs(tx.amount_cents)
        allocations = session.execute(
            select(Allocation, Invoice, Customer)
            .join(Invoice, Invoice.id == Allocation.invoice_id)
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(Allocation.transaction_id == tx.id)
            .order_by(Allocation.id)
        ).all()
        for allocation, invoice, customer in allocations:
            cents = min(allocation.amount_cents, rest)
            rest -= cents
            skonto = _money(allocation.discount_cents) if allocation.discount_cents else ""
            rows.append(_line(cents, incoming, bank, _personal(customer, invoice.kind), tx.booked_on,
                              invoice.number, skonto, text))  # fmt: skip
        if rest:
            rows.append(_line(rest, incoming, bank, transit, tx.booked_on, "", "", text))
    return rows, len(transactions)


def _line(
    cents: int, incoming: bool, bank: int, other: int, day: date, voucher: str, skonto: str, text: str
) -> list[str]:
    return [_money(cents), "S" if incoming else "H", "EUR", "", "", "", str(bank), str(other), "",
            day.strftime("%d%m"), voucher[:36], "", skonto, text]  # fmt: skip


# Which fields DATEV reads as text (in double quotes); the others are numbers and dates (bare)
_TEXT_HEADER = frozenset({0, 3, 7, 8, 9, 16, 17, 21, 23, 26, 30})
_TEXT_COLUMNS = frozenset({1, 2, 10, 11, 13})


def _field(value: str, text: bool) -> str:
    if not text:
        return value
    return '"' + value.replace('"', '""') + '"'


def _document(settings: DatevSettings, rows: list[list[str]], start: date, end: date) -> str:
    year_start = date(start.year, int(settings.fiscal_year_start[:2]), int(settings.fiscal_year_start[2:]))
    if year_start > start:
        year_start = year_start.replace(year=start.year - 1)
    account_length = 4
    header = [
        "EXTF", "700", "21", "Buchungsstapel", "13", datetime.now().strftime("%Y%m%d%H%M%S000"), "", "RE", "", "",
        str(settings.consultant), str(settings.client), year_start.strftime("%Y%m%d"), str(account_length),
        start.strftime("%Y%m%d"), end.strftime("%Y%m%d"), f"Kontor Bank {start:%m/%Y}"[:30], settings.initials[:2],
        "1", "0", "0", "EUR", "", "", "", "", settings.chart[-2:], "", "", "", "",
    ]  # fmt: skip
    lines = [";".join(_field(value, n in _TEXT_HEADER) for n, value in enumerate(header)), ";".join(COLUMNS)]
    lines += [";".join(_field(value, n in _TEXT_COLUMNS) for n, value in enumerate(row)) for row in rows]
    return "\r\n".join(lines) + "\r\n"
