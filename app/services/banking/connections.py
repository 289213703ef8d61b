"""Bank connections and sync: set up a FinTS login, fetch balances and statements, import them into the ledger.

The CLI and the GUI call these functions from a worker; every one of them blocks on the bank and the ledger.
"""

from __future__ import annotations

import functools
import io
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from fints.models import SEPAAccount
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.schema import BalanceSnapshot, BankAccount, BankConnection, Notification
from app.services.banking.account_choice import excluded_ibans, forget_choice
from app.services.banking.banks import bank_info
from app.services.banking.banks import product_id as configured_product_id
from app.services.banking.fints_client import (
    AccessLockedError,
    Balance,
    BankClient,
    BankError,
    BankLogin,
    BankUnavailableError,
    FinTSService,
    TanNotConfirmedError,
    UnregisteredProductError,
    WrongPinError,
    WrongTanError,
)
from app.services.banking.prompts import UserPrompts
from app.services.errors import KontorError
from app.services.formatting import to_cents
from app.services.i18n import _
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.secrets import forget_pin, pin_key
from app.services.reconciliation.overview import Outcome, outcome_of
from app.services.statements.importing import (
    AfterImport,
    ImportResult,
    StatementImportError,
    find_or_create_account,
    import_statements,
    imported_ids,
    run_after_import,
)
from app.services.statements.model import ParsedStatement
from app.services.statements.reader import read_statement_stream
from app.services.statements.rows import rows_of

log = logging.getLogger(__name__)

FIRST_SYNC_DAYS = 90  # what banks show without a TAN (PSD2's 90-day rule)
OVERLAP_DAYS = 5  # late bookings with an earlier date are caught; duplicates are dropped by the importer
BALANCE_SOURCE = "FinTS"
# Errors that end the whole sync: the login is refused, or the user decided (wrong, denied or no TAN), or the
# bank is gone; every other bank error stays with the account it happened on.
STOPPING_ERRORS = (
    WrongPinError,
    AccessLockedError,
    UnregisteredProductError,
    BankUnavailableError,
    WrongTanError,
    TanNotConfirmedError,
)

Progress = Callable[[int, int], None]


class BankConnectionError(KontorError, ValueError):
    """A connection request the user must correct (unknown ID, login set up twice)."""


@dataclass(frozen=True, slots=True)
class ConnectionSummary:
    id: int
    blz: str
    bank_name: str
    url: str
    login: str
    customer_id: str
    tan_mechanism: str
    tan_medium: str
    last_sync_at: datetime | None
    accounts: tuple[str, ...]


@dataclass(slots=True)
class AccountSync:
    """What one account's sync brought: counts for the user, warnings from the bank, the readers and the importer.

    `complete` is False when the account's statements could not be fetched or read in full.
    """

    iban: str
    format: str
    new: int = 0
    duplicates: int = 0
    returns: int = 0
    warnings: list[str] = field(default_factory=list)
    balance: Decimal | None = None
    balance_on: date | None = None
    complete: bool = True


@dataclass(slots=True)
class SyncResult:
    connection_id: int
    start: date
    accounts: list[AccountSync] = field(default_factory=list)
    outcome: Outcome = field(default_factory=Outcome)  # what happened to the new bookings' money

    @property
    def new(self) -> int:
        return sum(a.new for a in self.accounts)

    @property
    def duplicates(self) -> int:
        return sum(a.duplicates for a in self.accounts)

    @property
    def warnings(self) -> int:
        return sum(len(a.warnings) for a in self.accounts)


@dataclass(slots=True)
class _Fetched:
    """Bank data of one account, held until the dialog is over and the ledger write starts."""

    iban: str
    balance: Balance | None
    format: str
    documents: list[bytes]
    warnings: list[str] = field(default_factory=list)
    complete: bool = True


def _summary(session: Session, connection: BankConnection) -> ConnectionSummary:
    ibans = session.scalars(
        select(BankAccount.iban).where(BankAccount.connection_id == connection.id).order_by(BankAccount.iban)
    ).all()
    return ConnectionSummary(
        connection.id,
        connection.blz,
        connection.bank_name,
        connection.url,
        connection.login,
        connection.customer_id,
        connection.tan_mechanism,
        connection.tan_medium,
        connection.last_sync_at,
        tuple(ibans),
    )


def bank_login(connection: BankConnection) -> BankLogin:
    """The stored connection as the FinTS layer needs it."""
    return BankLogin(
        connection.blz,
        connection.url,
        connection.login,
        connection.customer_id,
        connection.tan_mechanism,
        connection.tan_medium,
        connection.client_state,
    )


def add_connection(
    ledger: Ledger,
    *,
    blz: str,
    url: str,
    login: str,
    customer_id: str = "",
    pin: str,
    prompts: UserPrompts,
    actor: str,
    product_id: str | None = None,
    cancel: threading.Event | None = None,
) -> ConnectionSummary:
    """Bootstrap a login (TAN method and medium chosen via prompts), list its accounts, then store it all at once.

    Nothing is written if the bank refuses or the user cancels.
    """
    blz = blz.replace(" ", "")
    with ledger.session() as session:
        if session.scalar(select(BankConnection.id).where(BankConnection.blz == blz, BankConnection.login == login)):
            raise BankConnectionError(_("The login {login} at {blz} is already set up.").format(login=login, blz=blz))
        product = product_id or configured_product_id(session)
    service: BankClient = FinTSService(
        BankLogin(blz, url, login, customer_id), pin=pin, product_id=product, prompts=prompts, cancel=cancel
    )
    try:
        service.bootstrap()
        with service.session():
            accounts = service.accounts()
            details = service.account_details()
            bank_name = service.bank_name()
    except WrongPinError:
        forget_pin(pin_key(blz, login))
        raise
    with ledger.writer() as session:
        connection = BankConnection(
            blz=blz,
            bank_name=bank_name or _fallback_bank_name(blz),
            url=url,
            login=login,
            customer_id=customer_id,
            tan_mechanism=service.tan_mechanism,
            tan_medium=service.tan_medium,
            client_state=service.state(),
        )
        session.add(connection)
        session.flush()
        audit.record_row(session, actor=actor, action="create", row=connection, summary=f"{login} @ {blz}")
        for account in accounts:
            info = details.get(account.iban, {})
            _link_account(session, connection, account.iban, account.bic or "", info, actor=actor)
        return _summary(session, connection)


def _fallback_bank_name(blz: str) -> str:
    try:
        return bank_info(blz).name
    except ValueError:
        return blz


def _link_account(
    session: Session, connection: BankConnection, iban: str, bic: str, info: dict[str, object], *, actor: str
) -> BankAccount:
    """The ledger account for a bank account, created if new and tied to the connection."""
    known = session.scalar(select(BankAccount.id).where(BankAccount.iban == iban)) is not None
    account = find_or_create_account(session, iban, currency=str(info.get("currency") or "EUR"), actor=actor)
    if account.connection_id == connection.id:
        return account
    account.connection_id = connection.id
    account.bic = account.bic or bic
    owners = info.get("owner_name") or []
    if not account.owner and isinstance(owners, list) and owners:
        account.owner = " ".join(str(o) for o in owners)[:200]
    if not known and info.get("product_name"):
        account.name = str(info["product_name"])[:200]
    audit.record_row(session, actor=actor, action="update", row=account, summary=f"{iban} via {connection.login}")
    return account


def list_connections(ledger: Ledger) -> list[ConnectionSummary]:
    with ledger.session() as session:
        connections = session.scalars(select(BankConnection).order_by(BankConnection.id)).all()
        return [_summary(session, c) for c in connections]


def remove_connection(ledger: Ledger, connection_id: int, *, actor: str) -> None:
    """Delete the login; its accounts and their history stay, no longer tied to a connection."""
    with ledger.writer() as session:
        connection = _get(session, connection_id)
        for account in session.scalars(select(BankAccount).where(BankAccount.connection_id == connection_id)):
            account.connection_id = None
            audit.record_row(session, actor=actor, action="update", row=account, summary=f"{account.iban} unlinked")
        audit.record_row(
            session, actor=actor, action="delete", row=connection, summary=f"{connection.login} @ {connection.blz}"
        )
        key = pin_key(connection.blz, connection.login)
        forget_choice(session, connection_id, actor=actor)
        session.delete(connection)
    forget_pin(key)


def _get(session: Session, connection_id: int) -> BankConnection:
    connection = session.get(BankConnection, connection_id)
    if connection is None:
        raise BankConnectionError(_("There is no bank connection {id}.").format(id=connection_id))
    return connection


def sync_start(last_sync_at: datetime | None, today: date, since: date | None = None) -> date:
    """Incremental with an overlap; 90 days on the first sync; `since` when the user asks for more."""
    if since is not None:
        return since
    if last_sync_at is not None:
        return min(last_sync_at.date(), today) - timedelta(days=OVERLAP_DAYS)
    return today - timedelta(days=FIRST_SYNC_DAYS)


def sync(
    ledger: Ledger,
    connection_id: int,
    *,
    pin: str,
    prompts: UserPrompts,
    actor: str,
    since: date | None = None,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    after_import: AfterImport | None = None,
    today: Callable[[], date] = date.today,
) -> SyncResult:
    """One dialog fetches each account's balance and statements (CAMT, else MT940) on its own; then one ledger write.

    A missing balance, an unreadable document or a bank error on one account is a warning on that account; the
    others are fetched and imported all the same. A refused login, a wrong or denied TAN and an unreachable bank
    stop the sync (what was fetched before is still imported; a wrong PIN is forgotten, never retried).
    `after_import(ledger, new_ids)` (automatic matching, as for imported files) runs once the bookings are
    committed; its failure is a warning, the bookings stay.
    """
    with ledger.session() as session:
        connection = _get(session, connection_id)
        login = bank_login(connection)
        start = sync_start(connection.last_sync_at, today(), since)
        product = configured_product_id(session)
        left_out = excluded_ibans(session, connection_id)
    service: BankClient = FinTSService(login, pin=pin, product_id=product, prompts=prompts, cancel=cancel)
    fetched: list[_Fetched] = []
    details: dict[str, dict[str, object]] = {}
    stopped: BaseException | None = None
    try:
        with service.session():
            accounts = [account for account in service.accounts() if account.iban not in left_out]
            details = service.account_details()
            for done, account in enumerate(accounts):
                if progress:
                    progress(done, len(accounts))
                item = _Fetched(account.iban, None, "", [])
                fetched.append(item)  # before the bank is asked: a stopped sync keeps what this account got
                _fetch_account(service, account, item, start=start, end=today())
    except WrongPinError:
        forget_pin(pin_key(login.blz, login.login))
        raise
    except BankError as error:
        if not fetched:
            raise
        if isinstance(error, STOPPING_ERRORS):
            stopped = error  # the dialog is over; keep what came through before it
        else:  # e.g. the bank refused the dialog's end after every account was fetched
            log.warning("Bank error after the accounts were fetched: %s", type(error).__name__)
    result = SyncResult(connection_id, start)
    new_ids: dict[str, list[int]] = {}
    with ledger.writer() as session:
        connection = _get(session, connection_id)
        for item in fetched:
            ids = new_ids.setdefault(item.iban, [])
            result.accounts.append(_import_account(session, connection, item, details, actor, ids))
        connection.client_state = service.state()
        if stopped is None and all(a.complete for a in result.accounts):
            # the next sync starts from here; after a gap it starts from the last complete one again
            connection.last_sync_at = utcnow()
    if after_import is not None:
        for account in result.accounts:
            if new_ids.get(account.iban):
                account.warnings += run_after_import(after_import, ledger, new_ids[account.iban], source=account.iban)
    everything_new = [tx_id for ids in new_ids.values() for tx_id in ids]
    if everything_new:
        with ledger.writer() as session:
            result.outcome = outcome_of(session, everything_new)
            session.add(Notification(kind="sync", message=_("Sync: {n} new bookings; {outcome}").format(
                n=len(everything_new), outcome=result.outcome.text())))  # fmt: skip
    if progress:
        progress(len(fetched), len(fetched))
    if stopped is not None:
        raise stopped
    return result


def _fetch_account(service: BankClient, account: SEPAAccount, item: _Fetched, *, start: date, end: date) -> None:
    """Balance and statements of one account into `item`, each on its own: a bank error is a warning on it.

    A stopping error is noted on the account too and passed on; what `item` holds by then is still imported.
    """
    try:
        item.balance = service.balance(account)
    except BankError as error:
        item.warnings.append(_("No balance from the bank, none stored: {reason}").format(reason=error))
        if isinstance(error, STOPPING_ERRORS):
            item.complete = False
            raise
    camt = service.offers_camt(account)
    item.format = "camt" if camt else "mt940"
    try:
        if camt:
            item.documents = service.camt_statements(account, start, end)
        else:
            item.documents = [service.mt940_statements(account, start, end)]
    except BankError as error:
        item.complete = False
        item.warnings.append(_("No statements from the bank: {reason}").format(reason=error))
        if isinstance(error, STOPPING_ERRORS):
            raise


def _parse(iban: str, fmt: str, documents: Sequence[bytes]) -> tuple[list[ParsedStatement], list[str]]:
    """Kontor's own CAMT/MT940 readers, the same as for imported files, so the duplicate rules agree.

    Each document on its own: an empty or unreadable one is a warning naming it, the others are still read.
    """
    statements: list[ParsedStatement] = []
    warnings: list[str] = []
    for number, document in enumerate(documents, start=1):
        if not document.strip():
            continue
        source = f"FinTS {iban} {fmt} {number}"
        try:
            statements += read_statement_stream(source, functools.partial(io.BytesIO, document))
        except ValueError as error:  # StatementFormatError names the document and the element
            reason = str(error) if source in str(error) else f"{source}: {error}"
            warnings.append(
                _("Document {number} of {total} from the bank could not be read: {reason}").format(
                    number=number, total=len(documents), reason=reason
                )
            )
    return statements, warnings


def _import_account(
    session: Session,
    connection: BankConnection,
    item: _Fetched,
    details: dict[str, dict[str, object]],
    actor: str,
    new_ids: list[int],
) -> AccountSync:
    """Import one account's statements and balance in the sync's transaction; its new bookings go to `new_ids`."""
    account = _link_account(session, connection, item.iban, "", details.get(item.iban, {}), actor=actor)
    outcome = AccountSync(item.iban, item.format, warnings=list(item.warnings), complete=item.complete)
    if item.balance is not None:
        outcome.balance, outcome.balance_on = item.balance.amount, item.balance.on
    statements, unreadable = _parse(item.iban, item.format, item.documents)
    results, refused = _import_statements(session, statements, item=item, actor=actor) if statements else ([], [])
    outcome.warnings += unreadable + refused
    outcome.complete = outcome.complete and not unreadable and not refused
    for imported in results:
        outcome.new += imported.new
        outcome.duplicates += imported.duplicates
        outcome.returns += imported.returns
        outcome.warnings += list(imported.warnings)
    for imported in results:
        new_ids += imported_ids(session, imported)
    if item.balance is not None:
        _store_balance(session, account, item.balance)
    return outcome


def _import_statements(
    session: Session, statements: list[ParsedStatement], *, item: _Fetched, actor: str
) -> tuple[list[ImportResult], list[str]]:
    """All at once; if the importer refuses (another account's statement, another currency), one by one, so that
    only the refused statements are left out, each named in a warning."""

    def write(batch: list[ParsedStatement]) -> ImportResult:
        return import_statements(
            session, rows_of(batch), source=f"FinTS {item.iban}", fmt=item.format, actor=actor, account_iban=item.iban
        )

    try:
        with session.begin_nested():
            return [write(statements)], []
    except StatementImportError:
        pass
    results: list[ImportResult] = []
    refused: list[str] = []
    for statement in statements:
        try:
            with session.begin_nested():
                results.append(write([statement]))
        except StatementImportError as error:
            refused.append(_("Not imported: {reason}").format(reason=error))
    return results, refused


def _store_balance(session: Session, account: BankAccount, balance: Balance) -> None:
    """The bank's booked balance as today's snapshot; a later sync on the same day updates it."""
    cents = to_cents(balance.amount)
    snapshots = session.scalars(
        select(BalanceSnapshot).where(
            BalanceSnapshot.account_id == account.id, BalanceSnapshot.balance_on == balance.on
        )
    ).all()
    ours = [s for s in snapshots if s.source == BALANCE_SOURCE]
    if ours:
        ours[-1].amount_cents = cents
    elif all(s.amount_cents != cents for s in snapshots):
        session.add(
            BalanceSnapshot(account_id=account.id, balance_on=balance.on, amount_cents=cents, source=BALANCE_SOURCE)
        )
