"""Bringing parsed statements into the ledger: accounts by IBAN, no duplicates, balance checks, returns."""

from __future__ import annotations

import logging
import operator
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Index, Table, and_, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.models.banking import BookingStatus, Reconciliation
from app.models.base import stored_datetime, utcnow
from app.models.payments import RunStatus
from app.models.schema import (
    BalanceSnapshot,
    BankAccount,
    Invoice,
    NoInvoiceRule,
    Notification,
    PaymentOrder,
    PaymentRun,
    StatementImport,
    Transaction,
)
from app.services.csv_safety import SafeWriter
from app.services.errors import KontorError
from app.services.formatting import format_amount, format_date, from_cents, grouped_iban, to_cents
from app.services.gc_pause import collector_paused
from app.services.i18n import N_, _
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.dialects import exec_driver, ids_given, on_server
from app.services.os_errors import file_error
from app.services.private_files import make_parent, open_private
from app.services.statements.model import ParsedBalance, StatementFormatError
from app.services.statements.reader import detect_format, is_zip
from app.services.statements.rows import (
    AMOUNT_CENTS,
    BOOKED,
    BOOKED_ON,
    COUNTERPARTY_IBAN,
    COUNTERPARTY_NAME,
    CURRENCY,
    DEDUPE_KEY,
    END_TO_END_ID,
    MANDATE_ID,
    PENDING,
    PURPOSE,
    RETURN_REASON,
    ROW_COLUMNS,
    STATUS,
    Row,
    StatementRows,
    with_keys,
)
from app.services.statements.search_index import INDEX_LATER_ROWS, index_pending, index_transactions
from app.services.statements.worker import WorkerReader, read_rows

if TYPE_CHECKING:
    from app.services.statements.bank_csv import CsvMapping

RETURN_REASONS = {
    "AC01": N_("IBAN wrong"),
    "AC04": N_("account closed"),
    "AC06": N_("account blocked"),
    "AG01": N_("transaction forbidden on this account"),
    "AM04": N_("insufficient funds"),
    "AM05": N_("duplicate collection"),
    "MD01": N_("no valid mandate"),
    "MD06": N_("refund requested by the debtor"),
    "MD07": N_("debtor deceased"),
    "MS02": N_("refused by the debtor"),
    "MS03": N_("reason not specified"),
    "SL01": N_("service of the debtor's bank"),
}
PENDING_WINDOW = timedelta(days=5)

log = logging.getLogger(__name__)

# What runs on an import's new bookings once they are committed (automatic matching): ledger, new transaction ids.
# It runs only when the ledger holds something matching acts on (_matching_has_work).
AfterImport = Callable[[Ledger, list[int]], None]


class StatementImportError(KontorError, ValueError):
    """A statement that cannot be imported as a whole; names the file and what is missing."""


class AccountNeededError(StatementImportError):
    """The file names no usable IBAN: the user has to say which account it belongs to."""


@dataclass(slots=True)
class ImportResult:
    source: str
    format: str
    new: int = 0
    duplicates: int = 0
    replaced_pending: int = 0
    returns: int = 0
    warnings: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    import_id: int | None = None
    error: str = ""
    needs_account: bool = False
    notes: list[str] = field(default_factory=list)  # how the file was read (a CSV's layout and columns)
    mapping_guess: str = ""  # a CSV whose columns were unclear: the detector's best guess as a --map spec
    booked: int = 0  # new bookings that are booked (not pending), all open until matching runs
    matched: bool = False  # whether automatic matching ran on the new bookings (_matching_has_work)

    @property
    def ok(self) -> bool:
        return not self.error


def _clean_iban(value: str) -> str:
    return value.replace(" ", "").upper()


_IBAN_IN_TEXT = re.compile(r"\b([A-Z]{2}\d{2}[A-Z0-9]{10,30}?)(?:[A-Z]{3})?\b")
_BLZ_ACCOUNT = re.compile(r"^(\d{8})/0*(\d{1,10})(?:\D.*)?$")


def statement_iban(statement: StatementRows) -> str:
    """The account's IBAN: named in the file, or derived from an IBAN-like or German BLZ/account `:25:`."""
    if statement.account_iban:
        return _clean_iban(statement.account_iban)
    from schwifty import IBAN  # the bank registry loads only for a file that names no IBAN (40 ms)
    from schwifty.exceptions import SchwiftyException

    number = statement.account_number.replace(" ", "").upper()
    for candidate in _IBAN_IN_TEXT.findall(number):
        try:
            return str(IBAN(candidate))
        except SchwiftyException:
            continue
    german = _BLZ_ACCOUNT.match(number)
    if german:
        try:
            return str(IBAN.generate("DE", bank_code=german[1], account_code=german[2]))
        except SchwiftyException:
            return ""
    return ""


def _bank_of(iban: str) -> tuple[str, str]:
    """BIC and bank name from schwifty's registry, loaded for a new account only."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        parsed = IBAN(iban)
        bic = parsed.bic
        return (str(bic) if bic else ""), (parsed.bank_name or "")
    except SchwiftyException:
        return "", ""


def find_or_create_account(session: Session, iban: str, *, currency: str, actor: str) -> BankAccount:
    """Accounts are found by IBAN; new ones get bank name and BIC from schwifty's registry."""
    iban = _clean_iban(iban)
    account = session.scalar(select(BankAccount).where(BankAccount.iban == iban))
    if account is not None:
        return account
    bic, bank_name = _bank_of(iban)
    account = BankAccount(iban=iban, bic=bic, bank_name=bank_name, currency=currency, name=bank_name or iban)
    session.add(account)
    session.flush()
    audit.record_row(session, actor=actor, action="create", row=account, summary=iban)
    return account


_INSERT_COLUMNS = ("id", "account_id", "import_id", "reconciliation", "created_at", *ROW_COLUMNS)
_INSERT_SQL = (
    f"INSERT INTO transactions ({', '.join(_INSERT_COLUMNS)}) VALUES ({', '.join('?' * len(_INSERT_COLUMNS))})"
)
# The audited columns (audit.values_digest) as positions in a row tuple; account_id is not in the row.
_AUDITED_IN_ROW = operator.itemgetter(*(ROW_COLUMNS.index(name) for name in Transaction.__audited__[1:]))


def _insert_rows(session: Session, first_id: int, account_id: int, import_id: int, rows: list[Row]) -> None:
    """One driver-level executemany: at a million rows the ORM's per-row parameter handling dominates."""
    connection = session.connection()
    created_at = stored_datetime(connection, utcnow())
    params = [
        (row_id, account_id, import_id, Reconciliation.OPEN.value, created_at, *row)
        for row_id, row in zip(range(first_id, first_id + len(rows)), rows, strict=True)
    ]
    exec_driver(connection, _INSERT_SQL, params)
    ids_given(connection, Transaction.__tablename__)


def _balance_warnings(
    statement: StatementRows, previous_closing: ParsedBalance | None, iban: str, source: str
) -> list[str]:
    """Opening plus bookings must give the closing balance, and a statement must open where the last one closed."""
    warnings = []
    name = statement.statement_id or "?"
    currency = statement.currency
    if statement.opening and statement.closing and not statement.pending:
        total = statement.opening.amount + statement.total
        if total != statement.closing.amount:
            warnings.append(
                _(
                    "{source}: statement {name} of {iban}: opening balance {opening} plus bookings {sum} "
                    "is {total}, but the closing balance on {date} is {closing}"
                ).format(
                    source=source,
                    name=name,
                    iban=grouped_iban(iban),
                    opening=format_amount(statement.opening.amount, currency),
                    sum=format_amount(statement.total, currency),
                    total=format_amount(total, currency),
                    date=format_date(statement.closing.on),
                    closing=format_amount(statement.closing.amount, currency),
                )
            )
    if previous_closing and statement.opening and not statement.pending:
        if previous_closing.amount != statement.opening.amount:
            warnings.append(
                _(
                    "{source}: gap before statement {name} of {iban}: the previous statement closed with "
                    "{closing} on {closed_on}, this one opens with {opening}"
                ).format(
                    source=source,
                    name=name,
                    iban=grouped_iban(iban),
                    closing=format_amount(previous_closing.amount, currency),
                    closed_on=format_date(previous_closing.on),
                    opening=format_amount(statement.opening.amount, currency),
                )
            )
    return warnings


@dataclass(slots=True)
class _AccountState:
    """What an import remembers per account while statements stream in."""

    account: BankAccount
    previous_closing: ParsedBalance | None = None  # of the account's previous statement in this import
    # (dedupe key, currency) -> copies the ledger had before this import, for the booking dates looked up so far;
    # only keys it has: a key encodes its booking date, so a key of a looked-up date that is missing has no copy.
    existing: dict[tuple[str, str], int] = field(default_factory=dict)
    looked_up: set[str] = field(default_factory=set)  # booking dates (ISO) whose counts are in `existing`
    seen: Counter[tuple[str, str]] = field(default_factory=Counter)  # copies of those keys in this import so far
    pending: dict[int, list[tuple[int, date, str, str]]] | None = None  # by amount, see _replace_pending
    snapshots: dict[date, list[int]] | None = None  # balance snapshots of the account by day, see _store_snapshots


# Indexes of transactions that nothing reads while an import runs (the duplicate check and the pending and return
# look-ups use ix_transactions_account_booked). A large import into a small ledger drops them and builds them again
# before its commit: a sorted build over the whole table costs a fraction of as many random inserts (at 100,000
# bookings into an empty ledger 0.15 s against 0.5 s), and its pages come out full, so the commit writes fewer.
_REBUILT_INDEXES = ("ix_transactions_booked", "ix_transactions_import_id")


def _drop_rebuilt_indexes(session: Session, *, expected_rows: int, existing_rows: int) -> list[Index]:
    """Drop _REBUILT_INDEXES when rebuilding them is cheaper than maintaining them: at least 1,000 new bookings
    expected and fewer already in the ledger. Returns what to build again; DDL in the import's transaction, so a
    failed import rolls the drop back with everything else."""
    if expected_rows < 1000 or existing_rows >= expected_rows or on_server(session):
        return []
    indexes = [index for index in cast(Table, Transaction.__table__).indexes if index.name in _REBUILT_INDEXES]
    connection = session.connection()
    for index in indexes:
        index.drop(connection)
    return indexes


def import_statements(
    session: Session,
    statements: Iterable[StatementRows],
    *,
    source: str,
    fmt: str,
    actor: str,
    account_iban: str | None = None,
    expected_rows: int = 0,
) -> ImportResult:
    """Write statements as they arrive, in the caller's transaction: an error anywhere rolls the whole file back.

    Memory is bounded by one statement, not the file: rows go into the ledger statement by statement.
    Each statement's rows are indexed for search as they go in, unless `expected_rows` (a low estimate of the
    bookings to come) reaches `INDEX_LATER_ROWS`: then the first search indexes them (`search_index.catch_up`).
    A large import into a small ledger also builds some table indexes once at the end instead of row by row.
    """
    result = ImportResult(source=source, format=fmt)
    # Rows a large import left unindexed go in first: the index only ever gets whole ranges in id order, so what
    # lies above its highest id is all it lacks. A large import adds to those rows instead.
    index_now = expected_rows < INDEX_LATER_ROWS
    if index_now:
        index_pending(session)
    batch = StatementImport(source=source[:500], format=fmt, imported_by=actor)
    session.add(batch)
    session.flush()
    accounts: dict[str, _AccountState] = {}
    digests: list[list[Any]] = []
    first_new_id = next_id = (session.scalar(select(func.max(Transaction.id))) or 0) + 1
    rebuild = _drop_rebuilt_indexes(session, expected_rows=expected_rows, existing_rows=first_new_id - 1)
    for statement in statements:
        iban = _account_of(statement, account_iban, source)
        state = accounts.get(iban)
        if state is None:
            account = find_or_create_account(session, iban, currency=statement.currency, actor=actor)
            state = accounts[iban] = _AccountState(account)
            result.accounts.append(iban)
        _check_currency(statement, state.account, source)
        account_id = state.account.id
        if statement.layout:
            result.notes.append(
                _("{source}: read as {layout}").format(source=statement.source or source, layout=statement.layout)
            )
        result.warnings += _date_warnings(statement, source)
        result.warnings += _balance_warnings(statement, state.previous_closing, iban, source)
        state.previous_closing = statement.closing
        fresh = _without_duplicates(session, state, batch.id, with_keys(statement.rows))
        result.duplicates += len(statement.rows) - len(fresh)
        if fresh:
            # Ids are given, not returned: the write lock is ours, and a plain executemany is much faster.
            _insert_rows(session, next_id, account_id, batch.id, fresh)
            ids = range(next_id, next_id + len(fresh))
            if index_now:
                index_transactions(session, ids.start, ids.stop - 1)
            digests += [
                [row_id, audit.fields_digest((account_id, *_AUDITED_IN_ROW(row)))]
                for row_id, row in zip(ids, fresh, strict=True)
            ]
            result.booked += sum(row[STATUS] == BOOKED for row in fresh)
            result.replaced_pending += _replace_pending(session, state, fresh, ids)
            result.returns += _link_returns(
                session, state.account, [(i, row) for i, row in zip(ids, fresh, strict=True) if row[RETURN_REASON]]
            )
            next_id += len(fresh)
        _store_snapshots(session, state, statement, iban, source, result.warnings)
    for index in rebuild:
        index.create(session.connection())
    result.new = next_id - first_new_id
    batch.new_count, batch.duplicate_count = result.new, result.duplicates
    batch.warnings = "\n".join(result.warnings)
    audit.record_import_digests(
        session,
        actor=actor,
        import_id=batch.id,
        digests=digests,
        summary=f"{source}: {result.new} new, {result.duplicates} duplicates",
    )
    result.import_id = batch.id
    return result


def _check_currency(statement: StatementRows, account: BankAccount, source: str) -> None:
    """An account keeps one currency: a statement or booking in another is refused, never booked as if it were."""
    name = statement.source or source
    if statement.currency != account.currency:
        raise StatementImportError(
            _(
                "{source}: statement {name} is in {currency}, but the account {iban} is kept in {account_currency}; "
                "nothing imported"
            ).format(
                source=name,
                name=statement.statement_id or "?",
                currency=statement.currency,
                iban=grouped_iban(account.iban),
                account_currency=account.currency,
            )
        )
    currency = statement.currency
    for balance in (statement.opening, statement.closing):
        if balance is not None and balance.currency != currency:
            raise StatementImportError(
                _("{source}: statement {name}: a balance in {balance_currency}, the statement in {currency}").format(
                    source=name,
                    name=statement.statement_id or "?",
                    balance_currency=balance.currency,
                    currency=currency,
                )
            )
    for row in statement.rows:
        if row[CURRENCY] != currency:
            raise StatementImportError(
                _(
                    "{source}: statement {name}: the booking of {amount} on {date} is in {row_currency}, the "
                    "statement in {currency}; nothing imported"
                ).format(
                    source=name,
                    name=statement.statement_id or "?",
                    amount=format_amount(from_cents(row[AMOUNT_CENTS]), str(row[CURRENCY])),  # type: ignore[arg-type]
                    date=row[BOOKED_ON],
                    row_currency=row[CURRENCY],
                    currency=currency,
                )
            )


def _date_warnings(statement: StatementRows, source: str) -> list[str]:
    """Days after their month's end (30 Feb) taken as the month's last day; a text that may be cut off."""
    name = statement.source or source
    warnings = [
        _("{source}: line {line}: the date {written} does not exist; taken as {date}").format(
            source=name, line=line, written=written, date=format_date(on)
        )
        for line, written, on in statement.date_notes
    ]
    if statement.open_end_at:
        warnings.append(
            _(
                "{source}: line {line}: the file ends without a closing balance or '-' after statement {name}: "
                "it may be cut off; check its last bookings"
            ).format(source=name, line=statement.open_end_at, name=statement.statement_id or "?")
        )
    return warnings


def _account_of(statement: StatementRows, account_iban: str | None, source: str) -> str:
    """The statement's IBAN, or the one the user chose for a file that names none; raises when they disagree."""
    named = statement_iban(statement)
    iban = named or _clean_iban(account_iban or "")
    if not iban:
        raise AccountNeededError(
            _("{source}: the statement names no IBAN (account {number}); choose the account to import into").format(
                source=statement.source or source, number=statement.account_number or "?"
            )
        )
    if account_iban and named and _clean_iban(account_iban) != iban:
        raise StatementImportError(
            _("{source}: the statement is for {iban}, not for {chosen}").format(
                source=statement.source or source,
                iban=grouped_iban(iban),
                chosen=grouped_iban(_clean_iban(account_iban)),
            )
        )
    return iban


def _without_duplicates(session: Session, state: _AccountState, import_id: int, rows: list[Row]) -> list[Row]:
    """Keep as many copies of a booking as this import has beyond those the ledger had before it."""
    if not rows:
        return []
    missing = {cast(str, row[BOOKED_ON]) for row in rows} - state.looked_up
    if missing:
        first, last = date.fromisoformat(min(missing)), date.fromisoformat(max(missing))
        found = session.execute(
            select(Transaction.dedupe_key, Transaction.currency, func.count())
            .where(
                Transaction.account_id == state.account.id,
                Transaction.booked_on.between(first, last),
                Transaction.status != BookingStatus.REPLACED,
                Transaction.import_id.is_distinct_from(import_id),
            )
            .group_by(Transaction.dedupe_key, Transaction.currency)
        )
        state.existing.update(((key, currency), count) for key, currency, count in found)
        state.looked_up.update((first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1))
    existing = state.existing
    if not existing:  # the usual case: the ledger has no booking of these dates
        return rows
    seen = state.seen
    fresh = []
    for row in rows:
        counted = (cast(str, row[DEDUPE_KEY]), cast(str, row[CURRENCY]))
        copies = existing.get(counted)
        if copies is not None:
            seen[counted] += 1
            if seen[counted] <= copies:
                continue
        fresh.append(row)
    return fresh


def _pending_of(session: Session, account_id: int) -> dict[int, list[tuple[int, date, str, str]]]:
    """The account's pending bookings by amount: loaded once per import, then kept up to date in memory."""
    pending: dict[int, list[tuple[int, date, str, str]]] = defaultdict(list)
    for row in session.execute(
        select(
            Transaction.id,
            Transaction.amount_cents,
            Transaction.booked_on,
            Transaction.end_to_end_id,
            Transaction.purpose,
        ).where(Transaction.account_id == account_id, Transaction.status == BookingStatus.PENDING)
    ):
        pending[row.amount_cents].append((row.id, row.booked_on, row.end_to_end_id, row.purpose))
    return pending


def _replace_pending(session: Session, state: _AccountState, fresh: Sequence[Row], ids: range) -> int:
    """A booked entry retires the pending one it confirms (same amount and reference, within days)."""
    if state.pending is None:
        state.pending = _pending_of(session, state.account.id)
    pending = state.pending
    for row_id, row in zip(ids, fresh, strict=True):  # this import's own pending rows count too
        if row[STATUS] == PENDING:
            on = date.fromisoformat(row[BOOKED_ON])  # type: ignore[arg-type]
            pending[cast(int, row[AMOUNT_CENTS])].append(
                (row_id, on, cast(str, row[END_TO_END_ID]), cast(str, row[PURPOSE]))
            )
    retired: list[int] = []
    if pending:
        for row in fresh:
            candidates = pending.get(cast(int, row[AMOUNT_CENTS])) if row[STATUS] == BOOKED else None
            for candidate in candidates or ():
                pending_id, booked_on, end_to_end_id, purpose = candidate
                same = end_to_end_id == row[END_TO_END_ID] if row[END_TO_END_ID] else purpose == row[PURPOSE]
                if same and abs(booked_on - date.fromisoformat(row[BOOKED_ON])) <= PENDING_WINDOW:  # type: ignore[arg-type]
                    retired.append(pending_id)
                    candidates.remove(candidate)  # type: ignore[union-attr]
                    break
    if retired:
        session.execute(update(Transaction).where(Transaction.id.in_(retired)).values(status=BookingStatus.REPLACED))
    return len(retired)


MAX_RETURN_FEE_CENTS = 50_00  # what a bank may add to a returned payment as its fee


def _link_returns(session: Session, account: BankAccount, returns: list[tuple[int, Row]]) -> int:
    """Flag R-transactions, link them to the original booking and tell the bookkeeper."""
    for return_id, row in returns:
        counterparty_iban, end_to_end_id, mandate_id = row[COUNTERPARTY_IBAN], row[END_TO_END_ID], row[MANDATE_ID]
        conditions = [Transaction.counterparty_iban == counterparty_iban] if counterparty_iban else []
        if end_to_end_id:
            conditions.append(Transaction.end_to_end_id == end_to_end_id)
        if mandate_id:
            conditions.append(Transaction.mandate_id == mandate_id)
        original = None
        if conditions:
            original = session.scalar(
                select(Transaction.id)
                .where(
                    Transaction.account_id == account.id,
                    Transaction.id != return_id,
                    Transaction.amount_cents == -cast(int, row[AMOUNT_CENTS]),
                    Transaction.return_reason == "",
                    Transaction.booked_on <= date.fromisoformat(row[BOOKED_ON]),  # type: ignore[arg-type]
                    Transaction.status == BookingStatus.BOOKED,
                    or_(*conditions),
                )
                .order_by(Transaction.booked_on.desc(), Transaction.id.desc())
                .limit(1)
            )
        if original is None and end_to_end_id and end_to_end_id != "NOTPROVIDED":
            # Banks often book a return with their fee in the same amount: the end-to-end ID still names the payment.
            returned = -cast(int, row[AMOUNT_CENTS])
            original = session.scalar(
                select(Transaction.id)
                .where(
                    Transaction.account_id == account.id,
                    Transaction.id != return_id,
                    Transaction.end_to_end_id == end_to_end_id,
                    Transaction.return_reason == "",
                    Transaction.status == BookingStatus.BOOKED,
                    func.abs(Transaction.amount_cents) < func.abs(returned),
                    func.abs(Transaction.amount_cents) >= func.abs(returned) - MAX_RETURN_FEE_CENTS,
                    (Transaction.amount_cents > 0) == (returned > 0),
                )
                .order_by(Transaction.booked_on.desc(), Transaction.id.desc())
                .limit(1)
            )
        if original is not None:
            session.execute(update(Transaction).where(Transaction.id == return_id).values(return_of_id=original))
        reason = row[RETURN_REASON]
        session.add(
            Notification(
                kind="return",
                message=_("Returned booking on {iban}: {amount} from {name}, reason {code} ({text})").format(
                    iban=grouped_iban(account.iban),
                    amount=format_amount(from_cents(row[AMOUNT_CENTS]), str(row[CURRENCY])),  # type: ignore[arg-type]
                    name=row[COUNTERPARTY_NAME] or "?",
                    code=reason,
                    text=_(RETURN_REASONS.get(reason, reason or "?")),  # type: ignore[arg-type]
                ),
            )
        )
    return len(returns)


def _store_snapshots(
    session: Session, state: _AccountState, statement: StatementRows, iban: str, source: str, warnings: list[str]
) -> None:
    """Closing balances become snapshots; a differing snapshot already in the ledger is a warning.

    The account's snapshots are read once per import and kept up to date in memory: two queries per statement
    (and a flush of each new snapshot) were 1 ms a statement.
    """
    if statement.pending:
        return
    account_id = state.account.id
    if state.snapshots is None:
        state.snapshots = defaultdict(list)
        for on, amount_cents in session.execute(
            select(BalanceSnapshot.balance_on, BalanceSnapshot.amount_cents)
            .where(BalanceSnapshot.account_id == account_id)
            .order_by(BalanceSnapshot.id)
        ):
            state.snapshots[on].append(amount_cents)
    for balance, kind in ((statement.opening, N_("opening")), (statement.closing, N_("closing"))):
        if balance is None:
            continue
        cents = to_cents(balance.amount)
        known = state.snapshots.get(balance.on)
        if known and cents not in known:
            warnings.append(
                _("{source}: the {kind} balance of {iban} on {date} is {amount}, the ledger has {known}").format(
                    source=source,
                    kind=_(kind),
                    iban=grouped_iban(iban),
                    date=format_date(balance.on),
                    amount=format_amount(balance.amount, statement.currency),
                    known=format_amount(from_cents(known[-1]), statement.currency),
                )
            )
        elif not known and kind == "closing":
            session.add(
                BalanceSnapshot(account_id=account_id, balance_on=balance.on, amount_cents=cents, source=source[:40])
            )
            state.snapshots[balance.on].append(cents)


def file_format(path: Path) -> str:
    if is_zip(path):
        return "zip"
    with path.open("rb") as stream:
        return detect_format(path.name, stream.read(4096))


def import_statement_files(
    ledger: Ledger,
    paths: Sequence[Path],
    *,
    actor: str,
    account_iban: str | None = None,
    profile: str | None = None,
    mapping: CsvMapping | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    after_import: AfterImport | None = None,
    started: Sequence[WorkerReader] = (),
) -> list[ImportResult]:
    """Import each file all-or-nothing; a broken file is reported and the others still go in. Blocks.

    `after_import(ledger, new_ids)` (automatic matching) runs after each file's commit, in transactions of its own:
    the import is durable first, and a failing match costs no booking (the result says so, `kontor match` redoes it).
    `started` are readers of some of the paths already at
    work (worker.start_reader); all of them are closed at the end.
    """
    waiting = {reader.path: reader for reader in started}
    try:
        return _import_files(
            ledger,
            paths,
            waiting,
            actor=actor,
            account_iban=account_iban,
            profile=profile,
            mapping=mapping,
            progress=progress,
            cancel=cancel,
            after_import=after_import,
        )
    finally:
        for reader in started:  # a reader used, or never started on (an error before its file), ends here
            reader.close()


def _import_files(
    ledger: Ledger,
    paths: Sequence[Path],
    waiting: dict[Path, WorkerReader],
    *,
    actor: str,
    account_iban: str | None,
    profile: str | None,
    mapping: CsvMapping | None,
    progress: Callable[[int, int], None] | None,
    cancel: threading.Event | None,
    after_import: AfterImport | None,
) -> list[ImportResult]:
    results = []
    for done, path in enumerate(paths):
        if cancel is not None and cancel.is_set():
            break
        if progress:
            progress(done, len(paths))
        try:
            fmt = file_format(path)
            reader = waiting.pop(path, None)
            if reader is not None and reader.format == fmt:
                statements = reader.rows()
            else:
                statements = read_rows(path, fmt, profile=profile, mapping=mapping)
            counterparties: set[str] = set()
            with collector_paused(), ledger.writer() as session:
                result = import_statements(
                    session,
                    _noting_counterparties(statements, counterparties),
                    source=path.name,
                    fmt=fmt,
                    actor=actor,
                    account_iban=account_iban,
                    expected_rows=_expected_rows(path),
                )
                wanted = after_import is not None and result.new > 0 and _matching_has_work(session, counterparties)
                new_ids = imported_ids(session, result) if wanted else []
            results.append(result)
            if after_import is not None and new_ids:
                result.matched = True
                result.warnings += run_after_import(after_import, ledger, new_ids, source=path.name)
        except (StatementFormatError, StatementImportError) as error:
            needs_account = isinstance(error, AccountNeededError)
            result = ImportResult(source=path.name, format="", error=str(error), needs_account=needs_account)
            result.mapping_guess = _mapping_guess(path, error)
            results.append(result)
        except OSError as error:
            results.append(ImportResult(source=path.name, format="", error=file_error(error, path.name)))
    if progress:
        progress(len(results), len(paths))
    return results


def _mapping_guess(path: Path, error: Exception) -> str:
    """For a file that could not be read, the CSV detector's best guess as a --map spec ("" for none)."""
    if not isinstance(error, StatementFormatError):
        return ""
    from app.services.statements.bank_csv import mapping_spec, suggested_mapping  # only when a file failed (4 ms)

    guess = suggested_mapping(path, error)
    return mapping_spec(guess) if guess else ""


def _expected_rows(path: Path) -> int:
    """A low estimate of a file's bookings, one per KiB: a booking takes 150 to 600 bytes in every format (and a
    ZIP's compressed bytes only err lower)."""
    try:
        return path.stat().st_size // 1024
    except OSError:
        return 0


def _noting_counterparties(statements: Iterable[StatementRows], ibans: set[str]) -> Iterator[StatementRows]:
    """The statements, noting each booking's counterparty IBAN in `ibans` as they pass (for _matching_has_work)."""
    for statement in statements:
        ibans.update([cast(str, row[COUNTERPARTY_IBAN]) for row in statement.rows])
        yield statement


def _matching_has_work(session: Session, counterparties: set[str]) -> bool:
    """Whether the after-import hook (payments.runs.after_statement_import) can change anything: an open invoice
    to match, a no-invoice rule, a sent order waiting for its booking, or a booking from or to one of the ledger's
    own accounts (a transfer; `counterparties` are the IBANs the import's bookings name, known without a pass
    over them). A ledger with none of these does not wait for the hook's passes over every new booking (0.4 s at
    100,000). Keep in step with what that hook does."""
    if counterparties.intersection(session.scalars(select(BankAccount.iban))):
        return True
    unbooked_order = (
        select(PaymentOrder.id)
        .join(PaymentRun, PaymentRun.id == PaymentOrder.run_id)
        .where(PaymentRun.status == RunStatus.SENT, PaymentOrder.transaction_id.is_(None))
    )
    work = select(  # one statement: each compiles afresh in a new process, a millisecond apiece
        select(Invoice.id).where(Invoice.cancelled.is_(False)).exists(),
        select(NoInvoiceRule.id).exists(),
        unbooked_order.exists(),
    )
    return any(session.execute(work).one())


def imported_ids(session: Session, result: ImportResult) -> list[int]:
    """The ids of the bookings one import added, in ledger order."""
    if not result.new:
        return []
    query = select(Transaction.id).where(Transaction.import_id == result.import_id).order_by(Transaction.id)
    return list(session.scalars(query))


def run_after_import(after_import: AfterImport, ledger: Ledger, new_ids: list[int], *, source: str) -> list[str]:
    """Run the hook on committed bookings; its failure is a warning, the bookings stay (the user can match later)."""
    try:
        after_import(ledger, new_ids)
    except (KontorError, SQLAlchemyError) as error:
        log.warning("automatic matching after %s failed: %s", source, error)
        return [
            _(
                "{source}: imported, but automatic matching did not run ({error}); "
                "run it again with Invoices › Match now or kontor match."
            ).format(source=source, error=error)
        ]
    return []


def _date_filter(date_from: date | None, date_to: date | None) -> list[Any]:
    conditions = []
    if date_from:
        conditions.append(Transaction.booked_on >= date_from)
    if date_to:
        conditions.append(Transaction.booked_on <= date_to)
    return conditions


def export_transactions(
    ledger: Ledger,
    out: Path,
    *,
    account_iban: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> int:
    """UTF-8 CSV of booked transactions, oldest first, formula-safe and private; returns the number of rows."""
    columns = [
        "booked_on",
        "value_on",
        "account_iban",
        "amount",
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
        "reconciliation",
    ]
    query = (
        select(Transaction, BankAccount.iban)
        .join(BankAccount)
        .where(and_(Transaction.status != BookingStatus.REPLACED, *_date_filter(date_from, date_to)))
        .order_by(Transaction.booked_on, Transaction.id)
    )
    if account_iban:
        query = query.where(BankAccount.iban == _clean_iban(account_iban))
    count = 0
    make_parent(out)
    partial = out.with_name(out.name + ".partial")
    with ledger.session() as session, open_private(partial, "w", newline="", encoding="utf-8") as handle:
        writer = SafeWriter(handle)
        writer.writerow(columns)
        for tx, iban in session.execute(query).yield_per(2000):
            values = {name: getattr(tx, name, "") for name in columns}
            values |= {"account_iban": iban, "amount": from_cents(tx.amount_cents)}
            writer.writerow([values[name] if values[name] is not None else "" for name in columns])
            count += 1
    partial.replace(out)
    return count
