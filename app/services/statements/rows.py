"""Parsed statements reduced to the values the ledger stores: plain strings and integers, computed next to the
parser (in a worker process for large files) and cheap to send to the process that writes the ledger.

A row's last value is its dedupe key, the writer's work: a worker computes it while the writer is behind (which
the command then waits for), and leaves it None for the writer (`with_keys`) when the worker is the slower side."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app.models.states import BookingStatus
from app.services.formatting import to_cents
from app.services.statements.model import ParsedBalance, ParsedStatement, ParsedTransaction

# The order of a row tuple; the ledger's insert statement lists the same names.
ROW_COLUMNS = (
    "booked_on",
    "value_on",
    "amount_cents",
    "currency",
    "counterparty_name",
    "counterparty_iban",
    "counterparty_bic",
    "purpose",
    "end_to_end_id",
    "mandate_id",
    "creditor_id",
    "bank_reference",
    "transaction_code",
    "status",
    "return_reason",
    "batch_ref",
    "raw",
    "dedupe_key",
)
BOOKED_ON, AMOUNT_CENTS = ROW_COLUMNS.index("booked_on"), ROW_COLUMNS.index("amount_cents")
COUNTERPARTY_NAME, COUNTERPARTY_IBAN = ROW_COLUMNS.index("counterparty_name"), ROW_COLUMNS.index("counterparty_iban")
PURPOSE, END_TO_END_ID = ROW_COLUMNS.index("purpose"), ROW_COLUMNS.index("end_to_end_id")
MANDATE_ID, STATUS = ROW_COLUMNS.index("mandate_id"), ROW_COLUMNS.index("status")
RETURN_REASON, CURRENCY = ROW_COLUMNS.index("return_reason"), ROW_COLUMNS.index("currency")
DEDUPE_KEY = ROW_COLUMNS.index("dedupe_key")

Row = tuple[str | int | None, ...]

_CURRENCY_NAMES = {"€": "EUR", "EURO": "EUR"}  # how some bank CSVs spell the currency column
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "ss"})
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
# A row's status as a plain string, not the enum: a row goes to the ledger writer pickled (an enum member pickles
# as a call), and the writer compares every row's status (an enum member's value is a Python-level look-up).
BOOKED, PENDING = BookingStatus.BOOKED.value, BookingStatus.PENDING.value


@dataclass(slots=True)
class StatementRows:
    """One statement as ledger rows (dates as ISO text, amounts in cents), plus what the balance check needs."""

    source: str
    account_iban: str
    account_number: str
    currency: str
    statement_id: str
    pending: bool
    opening: ParsedBalance | None
    closing: ParsedBalance | None
    total: Decimal  # sum of the bookings, exact, for the balance check
    rows: list[Row] = field(default_factory=list)
    date_notes: list[tuple[int, str, date]] = field(default_factory=list)  # see ParsedStatement
    open_end_at: int = 0
    layout: str = ""  # see ParsedStatement


def currency_code(text: str) -> str:
    """The ISO code of a currency as files write it ('€', 'Euro', 'eur'); no currency at all is EUR."""
    code = text.strip().upper() or "EUR"
    return _CURRENCY_NAMES.get(code, code)


def _fold(text: str) -> str:
    """Comparable text: MT940 writes 'Mueller' for 'Müller', CSV and CAMT keep the umlaut."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_UMLAUTS)).encode("ascii", "ignore").decode()
    return _NOT_ALNUM.sub("", text.upper())


def dedupe_key(booked_on: date | str, amount_cents: int, end_to_end_id: str, purpose: str, status: str) -> str:
    """The same booking gives the same key whether it came as MT940, CAMT or CSV.

    The currency is compared beside the key, not hashed into it: keys stored by earlier versions stay valid.
    """
    reference = end_to_end_id if end_to_end_id and end_to_end_id.upper() != "NOTPROVIDED" else ""
    on = booked_on if isinstance(booked_on, str) else booked_on.isoformat()
    basis = f"{on}|{amount_cents}|{_fold(reference) or _fold(purpose)[:24]}|{status}"
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


def _row(tx: ParsedTransaction, keyed: bool) -> Row:
    cents = to_cents(tx.amount)
    status = PENDING if tx.pending else BOOKED
    booked_on = tx.booked_on.isoformat()
    code = " ".join(filter(None, (tx.gvc, tx.bank_transaction_code)))
    key = dedupe_key(booked_on, cents, tx.end_to_end_id, tx.purpose, status) if keyed else None
    return (
        booked_on,
        tx.value_on.isoformat() if tx.value_on else None,
        cents,
        tx.currency if len(tx.currency) == 3 and tx.currency.isupper() else currency_code(tx.currency),
        tx.counterparty_name,
        tx.counterparty_iban.replace(" ", "").upper(),
        tx.counterparty_bic,
        tx.purpose,
        tx.end_to_end_id,
        tx.mandate_id,
        tx.creditor_id,
        tx.bank_reference,
        code[:50],
        status,
        tx.return_reason if tx.is_return or tx.return_reason else "",
        tx.batch_ref,
        tx.raw,
        key,
    )


def statement_rows(statement: ParsedStatement, *, keyed: bool = True) -> StatementRows:
    """The statement as rows; without their dedupe keys unless `keyed`."""
    transactions = statement.transactions
    return StatementRows(
        source=statement.source,
        account_iban=statement.account_iban,
        account_number=statement.account_number,
        currency=currency_code(statement.currency),
        statement_id=statement.statement_id,
        pending=statement.pending,
        opening=statement.opening,
        closing=statement.closing,
        total=sum((tx.amount for tx in transactions), Decimal(0)),
        rows=[_row(tx, keyed) for tx in transactions],
        date_notes=statement.date_notes,
        open_end_at=statement.open_end_at,
        layout=statement.layout,
    )


def rows_of(statements: Iterable[ParsedStatement]) -> Iterator[StatementRows]:
    """Each statement as rows, one at a time, so a stream of statements stays a stream."""
    for statement in statements:
        yield statement_rows(statement)


def with_keys(rows: list[Row]) -> list[Row]:
    """The rows with their dedupe keys, computed here for rows a worker sent without them."""
    if not rows or rows[0][DEDUPE_KEY] is not None:
        return rows
    keys = (
        dedupe_key(row[BOOKED_ON], row[AMOUNT_CENTS], row[END_TO_END_ID], row[PURPOSE], row[STATUS])  # type: ignore[arg-type]
        for row in rows
    )
    return [(*row[:DEDUPE_KEY], key) for row, key in zip(rows, keys, strict=True)]
