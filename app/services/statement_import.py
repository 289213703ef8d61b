"""Bringing parsed statements into the ledger: accounts by IBAN, no duplicates, balance checks, returns."""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.schema import BalanceSnapshot, BankAccount, Notification, StatementImport, Transaction
from app.services import audit
from app.services.formatting import format_amount, format_date, from_cents, to_cents
from app.services.gc_pause import collector_paused
from app.services.i18n import N_, _
from app.services.ledger import Ledger
from app.services.search_index import index_transactions
from app.services.statements.bank_csv import CsvMapping
from app.services.statements.model import ParsedStatement, ParsedTransaction, StatementFormatError
from app.services.statements.reader import detect_format, read_statement_file

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
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "ss"})
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")


class StatementImportError(ValueError):
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

    @property
    def ok(self) -> bool:
        return not self.error


def _fold(text: str) -> str:
    """Comparable text: MT940 writes 'Mueller' for 'Müller', CSV and CAMT keep the umlaut."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_UMLAUTS)).encode("ascii", "ignore").decode()
    return _NOT_ALNUM.sub("", ascii_text.upper())


def dedupe_key(booked_on: date, amount_cents: int, end_to_end_id: str, purpose: str, status: str) -> str:
    """The same booking gives the same key whether it came as MT940, CAMT or CSV."""
    reference = end_to_end_id if end_to_end_id and end_to_end_id.upper() != "NOTPROVIDED" else ""
    basis = f"{booked_on.isoformat()}|{amount_cents}|{_fold(reference) or _fold(purpose)[:24]}|{status}"
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


def _clean_iban(value: str) -> str:
    return value.replace(" ", "").upper()


_IBAN_IN_TEXT = re.compile(r"\b([A-Z]{2}\d{2}[A-Z0-9]{10,30}?)(?:[A-Z]{3})?\b")
_BLZ_ACCOUNT = re.compile(r"^(\d{8})/0*(\d{1,10})(?:\D.*)?$")


def statement_iban(statement: ParsedStatement) -> str:
    """The account's IBAN: named in the file, or derived from an IBAN-like or German BLZ/account `:25:`."""
    if statement.account_iban:
        return _clean_iban(statement.account_iban)
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


_INSERT_COLUMNS = (
    "id",
    "account_id",
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
    "reconciliation",
    "batch_ref",
    "raw",
    "import_id",
    "dedupe_key",
    "created_at",
)
_INSERT_SQL = (
    f"INSERT INTO transactions ({', '.join(_INSERT_COLUMNS)}) VALUES ({', '.join('?' * len(_INSERT_COLUMNS))})"
)


def _insert_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """One driver-level executemany: at a million rows the ORM's per-row parameter handling dominates."""
    created_at = str(utcnow())
    params = [
        (
            row["id"],
            row["account_id"],
            row["booked_on"].isoformat(),
            row["value_on"].isoformat() if row["value_on"] else None,
            row["amount_cents"],
            row["currency"],
            row["counterparty_name"],
            row["counterparty_iban"],
            row["counterparty_bic"],
            row["purpose"],
            row["end_to_end_id"],
            row["mandate_id"],
            row["creditor_id"],
            row["bank_reference"],
            row["transaction_code"],
            row["status"],
            row["return_reason"],
            row["reconciliation"],
            row["batch_ref"],
            row["raw"],
            row["import_id"],
            row["dedupe_key"],
            created_at,
        )
        for row in rows
    ]
    session.connection().exec_driver_sql(_INSERT_SQL, params)


def _values(account_id: int, tx: ParsedTransaction, import_id: int) -> dict[str, Any]:
    cents = to_cents(tx.amount)
    status = "pending" if tx.pending else "booked"
    code = " ".join(part for part in (tx.gvc, tx.bank_transaction_code) if part)
    return {
        "account_id": account_id,
        "booked_on": tx.booked_on,
        "value_on": tx.value_on,
        "amount_cents": cents,
        "currency": tx.currency or "EUR",
        "counterparty_name": tx.counterparty_name,
        "counterparty_iban": _clean_iban(tx.counterparty_iban),
        "counterparty_bic": tx.counterparty_bic,
        "purpose": tx.purpose,
        "end_to_end_id": tx.end_to_end_id,
        "mandate_id": tx.mandate_id,
        "creditor_id": tx.creditor_id,
        "bank_reference": tx.bank_reference,
        "transaction_code": code[:50],
        "status": status,
        "return_reason": tx.return_reason if tx.is_return or tx.return_reason else "",
        "reconciliation": "open",
        "batch_ref": tx.batch_ref,
        "raw": tx.raw,
        "import_id": import_id,
        "dedupe_key": dedupe_key(tx.booked_on, cents, tx.end_to_end_id, tx.purpose, status),
    }


def _balance_warnings(statements: Sequence[ParsedStatement], iban: str, source: str) -> list[str]:
    warnings = []
    previous: ParsedStatement | None = None
    for statement in statements:
        name = statement.statement_id or "?"
        if statement.opening and statement.closing:
            total = statement.opening.amount + sum((t.amount for t in statement.transactions), Decimal(0))
            if total != statement.closing.amount and not statement.pending:
                warnings.append(
                    _(
                        "{source}: statement {name} of {iban}: opening balance {opening} plus bookings {sum} "
                        "is {total}, but the closing balance on {date} is {closing}"
                    ).format(
                        source=source,
                        name=name,
                        iban=iban,
                        opening=format_amount(statement.opening.amount),
                        sum=format_amount(total - statement.opening.amount),
                        total=format_amount(total),
                        date=format_date(statement.closing.on),
                        closing=format_amount(statement.closing.amount),
                    )
                )
        if previous and previous.closing and statement.opening and not statement.pending:
            if previous.closing.amount != statement.opening.amount:
                warnings.append(
                    _(
                        "{source}: gap before statement {name} of {iban}: the previous statement closed with "
                        "{closing} on {closed_on}, this one opens with {opening}"
                    ).format(
                        source=source,
                        name=name,
                        iban=iban,
                        closing=format_amount(previous.closing.amount),
                        closed_on=format_date(previous.closing.on),
                        opening=format_amount(statement.opening.amount),
                    )
                )
        previous = statement
    return warnings


def import_statements(
    session: Session,
    statements: Sequence[ParsedStatement],
    *,
    source: str,
    fmt: str,
    actor: str,
    account_iban: str | None = None,
) -> ImportResult:
    """Write parsed statements in the caller's transaction; raises before writing if an account is unknown."""
    result = ImportResult(source=source, format=fmt)
    by_account: dict[str, list[ParsedStatement]] = defaultdict(list)
    for statement in statements:
        iban = statement_iban(statement) or _clean_iban(account_iban or "")
        if not iban:
            raise AccountNeededError(
                _("{source}: the statement names no IBAN (account {number}); choose the account to import into").format(
                    source=statement.source or source, number=statement.account_number or "?"
                )
            )
        if account_iban and statement_iban(statement) and _clean_iban(account_iban) != iban:
            raise StatementImportError(
                _("{source}: the statement is for {iban}, not for {chosen}").format(
                    source=statement.source or source, iban=iban, chosen=_clean_iban(account_iban)
                )
            )
        by_account[iban].append(statement)

    batch = StatementImport(source=source[:500], format=fmt, imported_by=actor)
    session.add(batch)
    session.flush()
    inserted: list[tuple[int, dict[str, Any]]] = []
    for iban, account_statements in by_account.items():
        account = find_or_create_account(session, iban, currency=account_statements[0].currency, actor=actor)
        result.accounts.append(iban)
        result.warnings += _balance_warnings(account_statements, iban, source)
        rows = [_values(account.id, tx, batch.id) for st in account_statements for tx in st.transactions]
        fresh = _without_duplicates(session, account.id, rows)
        result.duplicates += len(rows) - len(fresh)
        if fresh:
            # Ids are given, not returned: the write lock is ours, and a plain executemany is much faster.
            first_id = (session.scalar(select(func.max(Transaction.id))) or 0) + 1
            ids = range(first_id, first_id + len(fresh))
            for row_id, row in zip(ids, fresh, strict=True):
                row["id"] = row_id
            _insert_rows(session, fresh)
            inserted += list(zip(ids, fresh, strict=True))
            result.replaced_pending += _replace_pending(session, account.id, fresh)
            result.returns += _link_returns(
                session, account, [(i, r) for i, r in zip(ids, fresh, strict=True) if r["return_reason"]]
            )
        _store_snapshots(session, account.id, account_statements, iban, source, result.warnings)
    result.new = len(inserted)
    if inserted:
        index_transactions(session, inserted[0][0], inserted[-1][0])
    batch.new_count, batch.duplicate_count = result.new, result.duplicates
    batch.warnings = "\n".join(result.warnings)
    audit.record_import(
        session,
        actor=actor,
        import_id=batch.id,
        rows=inserted,
        summary=f"{source}: {result.new} new, {result.duplicates} duplicates",
    )
    result.import_id = batch.id
    return result


def _without_duplicates(session: Session, account_id: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep as many copies of a booking as the file has beyond those already in the ledger."""
    if not rows:
        return []
    first = min(row["booked_on"] for row in rows)
    last = max(row["booked_on"] for row in rows)
    existing = Counter(
        dict(
            session.execute(
                select(Transaction.dedupe_key, func.count())
                .where(
                    Transaction.account_id == account_id,
                    Transaction.booked_on.between(first, last),
                    Transaction.status != "replaced",
                )
                .group_by(Transaction.dedupe_key)
            ).all()
        )
    )
    seen: Counter[str] = Counter()
    fresh = []
    for row in rows:
        seen[row["dedupe_key"]] += 1
        if seen[row["dedupe_key"]] > existing[row["dedupe_key"]]:
            fresh.append(row)
    return fresh


def _replace_pending(session: Session, account_id: int, fresh: Iterable[dict[str, Any]]) -> int:
    """A booked entry retires the pending one it confirms (same amount and reference, within days)."""
    pending: dict[int, list[tuple[int, date, str, str]]] = defaultdict(list)
    for row in session.execute(
        select(
            Transaction.id,
            Transaction.amount_cents,
            Transaction.booked_on,
            Transaction.end_to_end_id,
            Transaction.purpose,
        ).where(Transaction.account_id == account_id, Transaction.status == "pending")
    ):
        pending[row.amount_cents].append((row.id, row.booked_on, row.end_to_end_id, row.purpose))
    if not pending:
        return 0
    retired: list[int] = []
    for row in fresh:
        candidates = pending.get(row["amount_cents"]) if row["status"] == "booked" else None
        for candidate in candidates or ():
            pending_id, booked_on, end_to_end_id, purpose = candidate
            same = end_to_end_id == row["end_to_end_id"] if row["end_to_end_id"] else purpose == row["purpose"]
            if same and abs(booked_on - row["booked_on"]) <= PENDING_WINDOW:
                retired.append(pending_id)
                candidates.remove(candidate)  # type: ignore[union-attr]
                break
    if retired:
        session.execute(update(Transaction).where(Transaction.id.in_(retired)).values(status="replaced"))
    return len(retired)


def _link_returns(session: Session, account: BankAccount, returns: list[tuple[int, dict[str, Any]]]) -> int:
    """Flag R-transactions, link them to the original booking and tell the bookkeeper."""
    for return_id, row in returns:
        conditions = [Transaction.counterparty_iban == row["counterparty_iban"]] if row["counterparty_iban"] else []
        if row["end_to_end_id"]:
            conditions.append(Transaction.end_to_end_id == row["end_to_end_id"])
        if row["mandate_id"]:
            conditions.append(Transaction.mandate_id == row["mandate_id"])
        original = None
        if conditions:
            original = session.scalar(
                select(Transaction.id)
                .where(
                    Transaction.account_id == account.id,
                    Transaction.id != return_id,
                    Transaction.amount_cents == -row["amount_cents"],
                    Transaction.return_reason == "",
                    Transaction.booked_on <= row["booked_on"],
                    Transaction.status == "booked",
                    or_(*conditions),
                )
                .order_by(Transaction.booked_on.desc(), Transaction.id.desc())
                .limit(1)
            )
        if original is not None:
            session.execute(update(Transaction).where(Transaction.id == return_id).values(return_of_id=original))
        reason = row["return_reason"]
        session.add(
            Notification(
                kind="return",
                message=_("Returned booking on {iban}: {amount} from {name}, reason {code} ({text})").format(
                    iban=account.iban,
                    amount=format_amount(from_cents(row["amount_cents"])),
                    name=row["counterparty_name"] or "?",
                    code=reason,
                    text=_(RETURN_REASONS.get(reason, reason or "?")),
                ),
            )
        )
    return len(returns)


def _store_snapshots(
    session: Session,
    account_id: int,
    statements: Sequence[ParsedStatement],
    iban: str,
    source: str,
    warnings: list[str],
) -> None:
    """Closing balances become snapshots; a differing snapshot already in the ledger is a warning."""
    for statement in statements:
        for balance, kind in ((statement.opening, "opening"), (statement.closing, "closing")):
            if balance is None or statement.pending:
                continue
            cents = to_cents(balance.amount)
            known = session.scalars(
                select(BalanceSnapshot.amount_cents).where(
                    BalanceSnapshot.account_id == account_id, BalanceSnapshot.balance_on == balance.on
                )
            ).all()
            if known and cents not in known:
                warnings.append(
                    _("{source}: the {kind} balance of {iban} on {date} is {amount}, the ledger has {known}").format(
                        source=source,
                        kind=_(kind),
                        iban=iban,
                        date=format_date(balance.on),
                        amount=format_amount(balance.amount),
                        known=format_amount(from_cents(known[-1])),
                    )
                )
            elif not known and kind == "closing":
                session.add(
                    BalanceSnapshot(
                        account_id=account_id, balance_on=balance.on, amount_cents=cents, source=source[:40]
                    )
                )


def file_format(path: Path) -> str:
    if zipfile.is_zipfile(path):
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
    after_import: Callable[[Session, list[int]], None] | None = None,
) -> list[ImportResult]:
    """Import each file all-or-nothing; a broken file is reported and the others still go in. Blocks.

    `after_import(session, new_ids)` runs in each file's transaction (automatic matching), so both commit together.
    """
    results = []
    for done, path in enumerate(paths):
        if cancel is not None and cancel.is_set():
            break
        if progress:
            progress(done, len(paths))
        try:
            fmt = file_format(path)
            with collector_paused():
                statements = read_statement_file(path, profile=profile, mapping=mapping)
            with collector_paused(), ledger.writer() as session:
                result = import_statements(
                    session, statements, source=path.name, fmt=fmt, actor=actor, account_iban=account_iban
                )
                if after_import is not None and result.new:
                    new_ids = select(Transaction.id).where(Transaction.import_id == result.import_id)
                    after_import(session, list(session.scalars(new_ids.order_by(Transaction.id))))
                results.append(result)
        except (StatementFormatError, StatementImportError) as error:
            needs_account = isinstance(error, AccountNeededError)
            results.append(ImportResult(source=path.name, format="", error=str(error), needs_account=needs_account))
        except OSError as error:
            results.append(ImportResult(source=path.name, format="", error=f"{path.name}: {error.strerror}"))
    if progress:
        progress(len(results), len(paths))
    return results


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
    """UTF-8 CSV of booked transactions, oldest first; returns the number of rows written."""
    import csv

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
        .where(and_(Transaction.status != "replaced", *_date_filter(date_from, date_to)))
        .order_by(Transaction.booked_on, Transaction.id)
    )
    if account_iban:
        query = query.where(BankAccount.iban == _clean_iban(account_iban))
    count = 0
    partial = out.with_name(out.name + ".partial")
    with ledger.session() as session, partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for tx, iban in session.execute(query).yield_per(2000):
            values = {name: getattr(tx, name, "") for name in columns}
            values |= {"account_iban": iban, "amount": from_cents(tx.amount_cents)}
            writer.writerow([values[name] if values[name] is not None else "" for name in columns])
            count += 1
    partial.replace(out)
    return count
