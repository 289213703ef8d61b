"""Runs the matching engine on the ledger and keeps what it and the bookkeeper decide: allocations, learning, undo.

The engine (app.services.matching) knows nothing of storage; this module loads its plain values from the ledger,
writes allocations with their audit events and notifications, and offers the queries of the invoices view and
the Map dialog. Every function that takes a `Ledger` blocks; call it from a worker.
"""

from __future__ import annotations

import hashlib
import operator
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Select, event, func, or_, select, update
from sqlalchemy.orm import Session

from app.models.base import stored_datetime, utcnow
from app.models.schema import (
    Allocation,
    Customer,
    Invoice,
    LearnedPayer,
    Notification,
    Transaction,
)
from app.services.csv_safety import SafeWriter, number_cell
from app.services.errors import KontorError
from app.services.formatting import format_amount, to_cents
from app.services.gc_pause import collector_paused
from app.services.i18n import N_, _, ngettext
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.settings import read_section, write_section
from app.services.matching import (
    PAYABLE,
    RECEIVABLE,
    MatchConfig,
    Matcher,
    PayerKnowledge,
    Payment,
    Proposal,
    detect_patterns,
    learn,
)
from app.services.matching import Customer as MatchCustomer
from app.services.matching import Invoice as MatchInvoice
from app.services.matching.names import normalize_iban
from app.services.private_files import make_parent, open_private

CONFIG_KEY = "matching"
STATUS_LABELS = {
    "open": N_("open"),
    "partial": N_("partially paid"),
    "paid": N_("paid"),
    "overdue": N_("overdue"),
    "cancelled": N_("cancelled"),
}
_CHUNK = 5000
EXPORT_COLUMNS = (
    "bank_reference",
    "booking_date",
    "amount",
    "counterparty_name",
    "invoice_number",
    "allocated_amount",
    "method",
    "confidence",
    "discount",
    "customer_number",
    "customer_name",
    "transaction_id",
    "invoice_id",
    "allocated_by",
    "allocated_at",
)


class ReconciliationError(KontorError, ValueError):
    """A booking the ledger refuses (amounts too high, wrong side, unknown ids); the message says which."""


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


# -- results ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookedAllocation:
    """One allocation a run made (or, in a dry run, would make)."""

    transaction_id: int
    invoice_id: int
    invoice_number: str
    payer: str
    amount: Decimal
    discount: Decimal
    confidence: float


@dataclass(slots=True)
class MatchSummary:
    """How a run went: payments booked automatically, left with suggestions, left without any."""

    payments: int = 0
    auto: int = 0
    suggested: int = 0
    open: int = 0
    returns_reversed: int = 0
    dry_run: bool = False
    allocations: list[BookedAllocation] = field(default_factory=list)

    def text(self) -> str:
        return _("{auto} assigned automatically, {suggested} with suggestions, {open} left open").format(
            auto=self.auto, suggested=self.suggested, open=self.open
        )


@dataclass(frozen=True, slots=True)
class SuggestedAllocation:
    invoice_id: int
    invoice_number: str
    customer_name: str
    amount: Decimal
    discount: Decimal
    open_amount: Decimal


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A ranked proposal for the Map dialog; `reasons` are translated sentences for the user."""

    score: float
    kind: str
    reasons: tuple[str, ...]
    allocations: tuple[SuggestedAllocation, ...]


@dataclass(frozen=True, slots=True)
class InvoiceFilter:
    """'open' means anything unpaid (also partial and overdue); 'review' the invoices flagged by a re-import."""

    kind: str | None = None
    status: str | None = None
    text: str = ""
    customer_id: int | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    id: int
    number: str
    kind: str
    customer_id: int
    customer_name: str
    customer_number: str
    issued_on: date
    due_on: date | None
    amount: Decimal
    open_amount: Decimal
    currency: str
    status: str
    overdue_days: int
    needs_review: bool
    review_note: str

    @property
    def status_label(self) -> str:
        """'overdue (12 days)', 'partially paid', … in the user's language."""
        if self.status == "overdue":
            return ngettext("overdue ({n} day)", "overdue ({n} days)", self.overdue_days).format(n=self.overdue_days)
        return _(STATUS_LABELS[self.status])


@dataclass(frozen=True, slots=True)
class NotificationRow:
    id: int
    created_at: datetime
    kind: str
    message: str
    read: bool


# -- loading the engine ----------------------------------------------------------------------------------


def _allocated() -> Select[tuple[int, int]]:
    return select(
        Allocation.invoice_id.label("invoice_id"),
        func.sum(Allocation.amount_cents + Allocation.discount_cents).label("cents"),
    ).group_by(Allocation.invoice_id)


def _open_cents(amount_cents: int, allocated_cents: int, reported_open_cents: int | None) -> int:
    """Unpaid by our allocations, and never more than the billing system says is open (paid in cash, elsewhere)."""
    open_cents = max(0, amount_cents - allocated_cents)
    return open_cents if reported_open_cents is None else min(open_cents, max(0, reported_open_cents))


def _invoice_query() -> Select:  # type: ignore[type-arg]
    allocated = _allocated().subquery()
    return (
        select(
            Invoice.id,
            Invoice.number,
            Invoice.kind,
            Invoice.customer_id,
            Customer.name,
            Customer.number,
            Invoice.issued_on,
            Invoice.due_on,
            Invoice.amount_cents,
            func.coalesce(allocated.c.cents, 0),
            Invoice.reported_open_cents,
            Invoice.currency,
            Invoice.cancelled,
            Invoice.needs_review,
            Invoice.review_note,
        )
        .join(Customer, Customer.id == Invoice.customer_id)
        .outerjoin(allocated, allocated.c.invoice_id == Invoice.id)
    )


def _match_invoices(session: Session, ids: Iterable[int] | None = None) -> list[MatchInvoice]:
    """The invoices (all, or those of `ids`) that are not cancelled, as the engine reads them."""
    return _open_invoices(session, ids)[0]


def _knowledge(session: Session) -> PayerKnowledge:
    knowledge = PayerKnowledge()
    for kind, key, customer_id in session.execute(
        select(LearnedPayer.key_kind, LearnedPayer.key, LearnedPayer.customer_id).order_by(LearnedPayer.id)
    ):
        (knowledge.customer_by_iban if kind == "iban" else knowledge.customer_by_name)[key] = customer_id
    return knowledge


def _open_invoices(
    session: Session, ids: Iterable[int] | None = None
) -> tuple[list[MatchInvoice], dict[int, tuple[int, int | None]]]:
    """`_match_invoices`, with each invoice's (amount, reported open) cents for syncing a kept matcher later.

    Allocated sums come from their own grouped query: joining them to 50k invoices costs more than a dict.
    """
    query = (
        select(
            Invoice.id,
            Invoice.number,
            Invoice.customer_id,
            Customer.name,
            Invoice.kind,
            Invoice.issued_on,
            Invoice.due_on,
            Invoice.amount_cents,
            Invoice.reported_open_cents,
            Invoice.currency,
        )
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.cancelled.is_(False))
    )
    allocated_query = _allocated()
    if ids is not None:
        wanted = list(ids)
        query = query.where(Invoice.id.in_(wanted))
        allocated_query = allocated_query.where(Allocation.invoice_id.in_(wanted))
    allocated = dict(session.execute(allocated_query).all())
    invoices, figures = [], {}
    for id, number, customer_id, name, kind, issued_on, due_on, amount_cents, reported, currency in session.execute(
        query
    ):
        open_cents = _open_cents(amount_cents, allocated.get(id, 0), reported)
        invoices.append(
            MatchInvoice(
                id,
                number,
                customer_id,
                name,
                kind,
                issued_on,
                due_on,
                _money(amount_cents),
                _money(open_cents),
                currency,
            )  # fmt: skip
        )
        figures[id] = (amount_cents, reported)
    return invoices, figures


def _matcher(session: Session, invoices: Sequence[MatchInvoice], config: MatchConfig | None = None) -> Matcher:
    customers = [
        MatchCustomer(id, number, name, (iban,) if iban else ())
        for id, number, name, iban in session.execute(
            select(Customer.id, Customer.number, Customer.name, Customer.iban)
        )
    ]
    return Matcher(invoices, customers, knowledge=_knowledge(session), config=config or _config(session))


# -- the matcher of an open ledger -----------------------------------------------------------------------
#
# Building the engine's indexes over every open invoice takes longer than matching a day's payments, so each
# open ledger (engine) keeps its last Matcher. It is trusted only while the books it was built from are
# unchanged: writes of this process to invoices, customers or learned payers bump a generation number (also
# after commit and rollback), and aggregates of those tables catch other processes. Allocations need no
# rebuild: each use compares the matcher's open amounts with the ledger's and moves the ones that differ.

_BOOKS_TABLES = frozenset({"invoices", "customers"})
_KNOWLEDGE_TABLES = frozenset({"payer_knowledge"})
_WRITE = re.compile(
    r"\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+\"?(\w+)", re.I
)
_DIRTY = "kontor_matcher_dirty"


@dataclass(slots=True)
class _Cached:
    matcher: Matcher
    figures: dict[int, tuple[int, int | None]]  # invoice id -> (amount, reported open) cents
    config: MatchConfig
    books: tuple[Any, ...]  # generation and aggregates of invoices and customers when built
    knowledge: tuple[Any, ...]  # the same for learned payers
    allocations: tuple[Any, ...] | None  # aggregates of allocations the open amounts agree with; None: sync


class _MatcherCache:
    """The last Matcher of one engine, with the generation numbers its listeners keep."""

    def __init__(self, engine: Engine) -> None:
        self.lock = threading.Lock()
        self.entry: _Cached | None = None
        self.books_generation = 0
        self.knowledge_generation = 0
        event.listen(engine, "before_cursor_execute", self._on_execute)
        for name in ("commit", "rollback"):
            event.listen(engine, name, self._on_end)
        event.listen(engine.pool, "checkin", self._on_checkin)

    def _on_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        found = _WRITE.match(statement)
        if found:
            table = found.group(1).lower()
            if table in _BOOKS_TABLES:
                self.books_generation += 1
                conn.info.setdefault(_DIRTY, set()).add("books")
            elif table in _KNOWLEDGE_TABLES:
                self.knowledge_generation += 1
                conn.info.setdefault(_DIRTY, set()).add("knowledge")

    def _on_end(self, conn: Any) -> None:
        self._bump(conn.info.get(_DIRTY, ()))

    def _on_checkin(self, dbapi_connection: Any, record: Any) -> None:
        # After the commit has happened: a reader that looked between the commit event and the commit itself
        # may have built from the old books and must not be trusted.
        self._bump(record.info.pop(_DIRTY, ()))

    def _bump(self, kinds: Iterable[str]) -> None:
        for kind in kinds:
            if kind == "books":
                self.books_generation += 1
            else:
                self.knowledge_generation += 1


_caches: weakref.WeakKeyDictionary[Engine, _MatcherCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache_of(session: Session) -> _MatcherCache | None:
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    if not isinstance(engine, Engine):
        return None
    with _caches_lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = _MatcherCache(engine)
        return cache


def _books_state(session: Session, generation: int) -> tuple[Any, ...]:
    invoices = session.execute(
        select(
            func.count(),
            func.max(Invoice.id),
            func.max(Invoice.updated_at),
            func.total(Invoice.amount_cents),
            func.total(Invoice.reported_open_cents),
            func.total(Invoice.cancelled),
            func.total(Invoice.customer_id),
        )
    ).one()
    return (generation, *invoices, _customers_digest(session))


def _customers_digest(session: Session) -> str:
    """A digest of every customer's name and IBAN: another process may rename one to a name of the same length.

    Read in full: a company has thousands of customers at most, a few milliseconds against a matcher rebuild.
    """
    digest = hashlib.sha256()
    for customer_id, name, iban in session.execute(
        select(Customer.id, Customer.name, Customer.iban).order_by(Customer.id)
    ):
        digest.update(f"{customer_id}\x1f{name}\x1f{iban}\x1e".encode())
    return digest.hexdigest()


def _knowledge_state(session: Session, generation: int) -> tuple[Any, ...]:
    row = session.execute(select(func.count(), func.max(LearnedPayer.id), func.total(LearnedPayer.customer_id))).one()
    return (generation, *row)


def _allocations_state(session: Session) -> tuple[Any, ...]:
    row = session.execute(
        select(
            func.count(),
            func.max(Allocation.id),
            func.total(Allocation.amount_cents + Allocation.discount_cents),
            func.total(Allocation.invoice_id),
        )
    ).one()
    return tuple(row)


def _current(cache: _MatcherCache, session: Session, books_generation: int, knowledge_generation: int) -> _Cached:
    """The cached matcher brought in line with the books this session sees, or a new one."""
    config = _config(session)
    books = _books_state(session, books_generation)
    entry = cache.entry
    if entry is None or entry.books != books or entry.config != config:
        cache.entry = None
        invoices, figures = _open_invoices(session)
        matcher = _matcher(session, invoices, config)
        entry = _Cached(
            matcher=matcher,
            figures=figures,
            config=config,
            books=books,
            knowledge=_knowledge_state(session, knowledge_generation),
            allocations=_allocations_state(session),
        )
        cache.entry = entry
        return entry
    knowledge = _knowledge_state(session, knowledge_generation)
    if entry.knowledge != knowledge:
        entry.matcher.set_knowledge(_knowledge(session))
        entry.knowledge = knowledge
    allocations = _allocations_state(session)
    if entry.allocations != allocations:
        allocated = dict(session.execute(_allocated()).all())
        matcher = entry.matcher
        for invoice_id, open_cents in matcher.open_cents().items():
            amount_cents, reported = entry.figures[invoice_id]
            wanted = _open_cents(amount_cents, allocated.get(invoice_id, 0), reported)
            if wanted != open_cents:
                matcher.set_open_cents(invoice_id, wanted)
        entry.allocations = allocations
    return entry


@contextmanager
def _cached_matcher(
    session: Session, *, changes: bool, generations: tuple[int, int] | None = None
) -> Iterator[Matcher]:
    """The open ledger's matcher for this session, or a private one while another thread uses it.

    Never waits for the other thread: it may hold the ledger's write lock that this session's caller needs.
    `changes`: the caller will move open amounts (a run), so the next use syncs them with the ledger again.
    `generations`: as read before the session's first query, for a session that only reads.
    """
    cache = _cache_of(session)
    if cache is None or not cache.lock.acquire(blocking=False):
        invoices, _figures = _open_invoices(session)
        yield _matcher(session, invoices)
        return
    try:
        books_generation, knowledge_generation = generations or (cache.books_generation, cache.knowledge_generation)
        entry = _current(cache, session, books_generation, knowledge_generation)
        try:
            yield entry.matcher
        except BaseException:
            cache.entry = None
            raise
        if changes:
            entry.allocations = None
    finally:
        cache.lock.release()


def _generations(ledger: Ledger) -> tuple[int, int] | None:
    with _caches_lock:
        cache = _caches.get(ledger.engine)
    return None if cache is None else (cache.books_generation, cache.knowledge_generation)


def _payment(tx: Transaction, remaining_cents: int | None = None) -> Payment:
    cents = tx.amount_cents if remaining_cents is None else remaining_cents
    return Payment(
        id=tx.id,
        booked_on=tx.booked_on,
        amount=_money(cents),
        counterparty_name=tx.counterparty_name,
        counterparty_iban=tx.counterparty_iban,
        purpose=tx.purpose,
        end_to_end_id=tx.end_to_end_id,
        currency=tx.currency,
    )


def _matchable() -> list:  # type: ignore[type-arg]
    """Booked, still open, and neither a return nor a payment that was returned."""
    returned = select(Transaction.return_of_id).where(Transaction.return_of_id.is_not(None))
    return [
        Transaction.status == "booked",
        Transaction.reconciliation == "open",
        Transaction.return_reason == "",
        Transaction.amount_cents != 0,
        Transaction.id.not_in(returned),
    ]


# -- config ----------------------------------------------------------------------------------------------


def _config(session: Session) -> MatchConfig:
    return MatchConfig.from_dict(read_section(session, CONFIG_KEY, {}))


def load_config(ledger: Ledger) -> MatchConfig:
    """The company's matching settings; an empty pattern list means 'detect from the invoices at each run'."""
    with ledger.session() as session:
        return _config(session)


def save_config(ledger: Ledger, config: MatchConfig, *, actor: str) -> None:
    with ledger.writer() as session:
        write_section(session, CONFIG_KEY, config.to_dict(), actor=actor, summary="matching settings")


def detected_patterns(ledger: Ledger) -> list[str]:
    """The invoice number patterns detected from the ledger's invoices, the default shown in Settings."""
    with ledger.session() as session:
        return detect_patterns(session.scalars(select(Invoice.number)))


# -- booking ---------------------------------------------------------------------------------------------


def _allocated_on_transaction(session: Session, transaction_id: int) -> int:
    return (
        session.scalar(
            select(func.coalesce(func.sum(Allocation.amount_cents), 0)).where(
                Allocation.transaction_id == transaction_id
            )
        )
        or 0
    )


def _set_state(session: Session, tx: Transaction) -> None:
    allocated = _allocated_on_transaction(session, tx.id)
    if not allocated:
        tx.reconciliation = "open" if tx.reconciliation != "ignored" else "ignored"
    else:
        tx.reconciliation = "matched" if allocated >= abs(tx.amount_cents) else "partial"


def _book(
    session: Session,
    tx: Transaction,
    parts: Sequence[tuple[MatchInvoice, int, int]],
    *,
    method: str,
    confidence: float,
    actor: str,
) -> list[Allocation]:
    """Write allocations (invoice, cents, discount cents) with one audit event each; notify for automatic ones."""
    rows = []
    for invoice, cents, discount in parts:
        allocation = Allocation(
            transaction_id=tx.id,
            invoice_id=invoice.id,
            amount_cents=cents,
            discount_cents=discount,
            method=method,
            confidence=confidence,
            created_by=actor,
        )
        session.add(allocation)
        session.flush()
        audit.record_row(
            session,
            actor=actor,
            action="create",
            row=allocation,
            summary=f"{invoice.number} {method} {_money(cents)} discount {_money(discount)} ({confidence:.2f})",
        )
        rows.append(allocation)
        if method == "auto":
            still_open = to_cents(invoice.open_amount) - cents - discount
            message = _PaidMessages().text(tx.counterparty_name, invoice, cents, still_open)
            session.add(Notification(kind="match", message=message))
    session.flush()
    _set_state(session, tx)
    return rows


_ALLOCATION_COLUMNS = (
    "id",
    "transaction_id",
    "invoice_id",
    "amount_cents",
    "discount_cents",
    "method",
    "confidence",
    "created_by",
    "created_at",
)
_INSERT_ALLOCATIONS = (
    f"INSERT INTO allocations ({', '.join(_ALLOCATION_COLUMNS)}) VALUES ({', '.join('?' * len(_ALLOCATION_COLUMNS))})"
)
_AUDITED_OF_ROW = operator.itemgetter(*(_ALLOCATION_COLUMNS.index(name) for name in Allocation.__audited__))


def _book_automatic(session: Session, booked: Sequence[_Booked], *, actor: str) -> None:
    """A run's automatic allocations, notifications and audit events in a few statements, not three per row."""
    tx_ids = sorted({item.tx.id for item in booked})
    allocated: dict[int, int] = {}
    for start in range(0, len(tx_ids), _CHUNK):
        chunk = tx_ids[start : start + _CHUNK]
        sums = session.execute(
            select(Allocation.transaction_id, func.sum(Allocation.amount_cents))
            .where(Allocation.transaction_id.in_(chunk))
            .group_by(Allocation.transaction_id)
        )
        allocated.update({tx_id: total for tx_id, total in sums})
    first_id = (session.scalar(select(func.max(Allocation.id))) or 0) + 1
    connection = session.connection()
    stored_at = stored_datetime(connection, utcnow())  # one timestamp for the run, converted once
    messages = _PaidMessages()
    rows, notes, events = [], [], []
    for allocation_id, item in enumerate(booked, start=first_id):
        tx, invoice, cents, discount, confidence = item.tx, item.invoice, item.cents, item.discount, item.confidence
        row = (allocation_id, tx.id, invoice.id, cents, discount, "auto", confidence, actor, stored_at)
        rows.append(row)
        notes.append(("match", messages.text(tx.counterparty_name, invoice, cents, item.open_after), stored_at))
        events.append(
            audit.EventSpec(
                action="create",
                entity=Allocation.__tablename__,
                entity_id=allocation_id,
                data=dict(zip(Allocation.__audited__, _AUDITED_OF_ROW(row), strict=True)),
                summary=f"{invoice.number} auto {_money(cents)} discount {_money(discount)} ({confidence:.2f})",
            )
        )
        allocated[tx.id] = allocated.get(tx.id, 0) + cents
    connection.exec_driver_sql(_INSERT_ALLOCATIONS, rows)
    connection.exec_driver_sql("INSERT INTO notifications (kind, message, created_at, read) VALUES (?, ?, ?, 0)", notes)
    audit.record_many(session, actor=actor, events=events)
    states = {item.tx.id: abs(item.tx.amount_cents) for item in booked}
    connection.exec_driver_sql(
        "UPDATE transactions SET reconciliation = ? WHERE id = ?",
        [("matched" if allocated[tx_id] >= amount else "partial", tx_id) for tx_id, amount in states.items()],
    )
    session.expire_all()  # Transaction objects of this session may still hold their old state


@dataclass(frozen=True, slots=True)
class _Booked:
    """One automatic allocation of a run, with the open amount its invoice keeps (for the notification)."""

    tx: Any  # a row of _PAYMENT_COLUMNS
    invoice: MatchInvoice
    cents: int
    discount: int
    confidence: float
    open_after: int


class _PaidMessages:
    """The notification texts of a run, translated once rather than once per allocation."""

    def __init__(self) -> None:
        self.payable_partly = _("Invoice {number} of {name} partly paid, {amount}")
        self.payable_paid = _("Invoice {number} of {name} paid, {amount}")
        self.partly = _("Invoice {number} partly paid by {name}, {amount} ({open} still open)")
        self.paid = _("Invoice {number} paid by {name}, {amount}")

    def text(self, payer: str, invoice: MatchInvoice, cents: int, still_open: int) -> str:
        amount = format_amount(_money(cents), invoice.currency)
        if invoice.kind == PAYABLE:
            template = self.payable_partly if still_open > 0 else self.payable_paid
            return template.format(number=invoice.number, name=invoice.customer_name, amount=amount)
        payer = payer or invoice.customer_name
        if still_open > 0:
            return self.partly.format(
                number=invoice.number,
                name=payer,
                amount=amount,
                open=format_amount(_money(still_open), invoice.currency),
            )
        return self.paid.format(number=invoice.number, name=payer, amount=amount)


# The columns matching reads, as rows: whole ORM objects (with the raw record) cost more than the match.
_PAYMENT_COLUMNS = (
    Transaction.id,
    Transaction.booked_on,
    Transaction.amount_cents,
    Transaction.counterparty_name,
    Transaction.counterparty_iban,
    Transaction.purpose,
    Transaction.end_to_end_id,
    Transaction.currency,
)


def _run(
    session: Session,
    *,
    actor: str,
    transaction_ids: Sequence[int] | None,
    dry_run: bool,
    generations: tuple[int, int] | None = None,
) -> MatchSummary:
    summary = MatchSummary(dry_run=dry_run)
    if not dry_run:
        summary.returns_reversed = _settle_returns(session, actor=actor, transaction_ids=transaction_ids)
    conditions = [*_matchable(), Transaction.manual_only.is_(False)]
    transactions: dict[int, Any] = {}
    if transaction_ids is None:
        query = select(*_PAYMENT_COLUMNS).where(*conditions).order_by(Transaction.id)
        transactions.update((tx.id, tx) for tx in session.execute(query))
    else:
        wanted = list(transaction_ids)
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            query = select(*_PAYMENT_COLUMNS).where(Transaction.id.in_(chunk), *conditions)
            transactions.update((tx.id, tx) for tx in session.execute(query))
    ids = list(transactions)
    if not ids:
        return summary
    payments = [
        Payment(id, booked_on, _money(cents), name, iban, purpose, end_to_end_id, currency)
        for id, booked_on, cents, name, iban, purpose, end_to_end_id, currency in (transactions[i] for i in ids)
    ]
    summary.payments = len(payments)
    booked: list[_Booked] = []
    with _cached_matcher(session, changes=True, generations=generations) as matcher:
        open_cents = matcher.open_cents()
        results = matcher.match_all(payments)
        for result in results:
            best = result.best
            if result.status == "auto" and best is not None:
                summary.auto += 1
                tx = transactions[result.payment_id]
                for allocation in best.allocations:
                    invoice = matcher.invoice(allocation.invoice_id)
                    cents, discount = to_cents(allocation.amount), to_cents(allocation.discount)
                    left = open_cents[invoice.id] = open_cents[invoice.id] - cents - discount
                    booked.append(_Booked(tx, invoice, cents, discount, best.score, left))
                    summary.allocations.append(
                        BookedAllocation(
                            transaction_id=tx.id,
                            invoice_id=invoice.id,
                            invoice_number=invoice.number,
                            payer=tx.counterparty_name,
                            amount=allocation.amount,
                            discount=allocation.discount,
                            confidence=best.score,
                        )
                    )
            elif result.status == "suggested":
                summary.suggested += 1
            else:
                summary.open += 1
    if not dry_run and booked:
        _book_automatic(session, booked, actor=actor)
    if not dry_run and summary.auto:
        audit.record(
            session,
            actor=actor,
            action="match",
            entity="match_run",
            entity_id=None,
            data=[[a.transaction_id, a.invoice_id, str(a.amount), str(a.discount)] for a in summary.allocations],
            summary=summary.text(),
        )
    return summary


def match_payments(
    ledger: Ledger, *, actor: str, dry_run: bool = False, transaction_ids: Sequence[int] | None = None
) -> MatchSummary:
    """Book what is certain, count what needs a person; only the given payments when `transaction_ids` is set."""
    generations = _generations(ledger)
    with collector_paused(), ledger.session() as session, session.begin():
        return _run(session, actor=actor, transaction_ids=transaction_ids, dry_run=dry_run, generations=generations)


def match_new_transactions(session: Session, transaction_ids: Sequence[int], *, actor: str) -> MatchSummary:
    """For statement import and bank sync: match just-imported bookings in the caller's transaction."""
    return _run(session, actor=actor, transaction_ids=transaction_ids, dry_run=False)


def after_statement_import(actor: str) -> Callable[[Session, list[int]], None]:
    """The `after_import` hook of `import_statement_files`: automatic matching of every new booking."""

    def hook(session: Session, transaction_ids: list[int]) -> None:
        match_new_transactions(session, transaction_ids, actor=actor)

    return hook


# -- returned debits -------------------------------------------------------------------------------------


def _settle_returns(session: Session, *, actor: str, transaction_ids: Sequence[int] | None) -> int:
    """A return cancels its original payment: the original's allocations go, its invoices open again."""
    query = select(Transaction).where(Transaction.return_of_id.is_not(None), Transaction.reconciliation == "open")
    if transaction_ids is not None:
        query = query.where(Transaction.id.in_(list(transaction_ids)))
    count = 0
    for back in session.scalars(query).all():
        original = session.get(Transaction, back.return_of_id)
        if original is None:
            continue
        allocations = session.scalars(select(Allocation).where(Allocation.transaction_id == original.id)).all()
        for allocation in allocations:
            invoice = session.get(Invoice, allocation.invoice_id)
            number = invoice.number if invoice else str(allocation.invoice_id)
            _remove(session, allocation, actor=actor, summary=f"{number}: payment returned ({back.return_reason})")
            session.add(
                Notification(
                    kind="reopened",
                    message=_("Invoice {number} is open again: the payment of {amount} was returned ({code})").format(
                        number=number, amount=format_amount(_money(allocation.amount_cents)), code=back.return_reason
                    ),
                )
            )
            count += 1
        original.reconciliation = back.reconciliation = "ignored"
        original.reconciliation_note = _("returned")
        back.reconciliation_note = _("return of booking {id}").format(id=original.id)
    return count


def _remove(session: Session, allocation: Allocation, *, actor: str, summary: str) -> None:
    session.delete(allocation)
    session.flush()
    audit.record_row(session, actor=actor, action="delete", row=allocation, summary=summary)


# -- the Map dialog --------------------------------------------------------------------------------------


def _transaction(session: Session, transaction_id: int) -> Transaction:
    tx = session.get(Transaction, transaction_id)
    if tx is None:
        raise ReconciliationError(_("No transaction {id}").format(id=transaction_id))
    return tx


def suggestions(ledger: Ledger, transaction_id: int, limit: int = 10) -> list[Suggestion]:
    """Ranked proposals with their reasons for what is still unallocated of one payment."""
    generations = _generations(ledger)
    with ledger.session() as session:
        tx = _transaction(session, transaction_id)
        remaining = abs(tx.amount_cents) - _allocated_on_transaction(session, tx.id)
        if remaining <= 0 or tx.status != "booked":
            return []
        payment = _payment(tx, remaining if tx.amount_cents > 0 else -remaining)
        with _cached_matcher(session, changes=False, generations=generations) as matcher:
            return [_suggestion(proposal, matcher) for proposal in matcher.suggest(payment, limit=limit)]


def why_not_automatic(ledger: Ledger, transaction_id: int) -> str:
    """Why a payment with something left to allocate was not assigned automatically, in one sentence.

    The batch engine's own answer (the rival reading, or what the evidence lacks), not the wider search of
    the suggestions; empty when nothing is left to allocate.
    """
    generations = _generations(ledger)
    with ledger.session() as session:
        tx = _transaction(session, transaction_id)
        remaining = abs(tx.amount_cents) - _allocated_on_transaction(session, tx.id)
        if remaining <= 0 or tx.status != "booked" or tx.reconciliation == "ignored":
            return ""
        if tx.manual_only:
            return _("an automatic assignment of this payment was undone, so matching leaves it to a person")
        if remaining != abs(tx.amount_cents):
            return _("part of this payment was assigned by hand, so matching leaves the rest to a person")
        with _cached_matcher(session, changes=False, generations=generations) as matcher:
            result = matcher.match(_payment(tx))
    if result.status == "auto":
        return _("none; the next matching run will assign it")
    return result.why_not


def _suggestion(proposal: Proposal, matcher: Matcher) -> Suggestion:
    return Suggestion(
        score=proposal.score,
        kind=proposal.kind,
        reasons=proposal.reasons,
        allocations=tuple(
            SuggestedAllocation(
                invoice_id=a.invoice_id,
                invoice_number=matcher.invoice(a.invoice_id).number,
                customer_name=matcher.invoice(a.invoice_id).customer_name,
                amount=a.amount,
                discount=a.discount,
                open_amount=matcher.open_amount(a.invoice_id),
            )
            for a in proposal.allocations
        ),
    )


def search_open_invoices(ledger: Ledger, text: str, limit: int = 50, *, kind: str | None = None) -> list[InvoiceRow]:
    """Unpaid invoices whose number, customer or customer number contains the text, for a manual mapping."""
    return invoice_rows(ledger, InvoiceFilter(kind=kind, status="open", text=text, limit=limit))


def allocate_manually(
    ledger: Ledger,
    transaction_id: int,
    allocations: Sequence[tuple[int, Decimal] | tuple[int, Decimal, Decimal]],
    *,
    actor: str,
) -> list[int]:
    """Book a payment on invoices the bookkeeper chose, and learn the payer for the next time.

    Each item is (invoice id, amount) or (invoice id, amount, discount written off). The amounts may not exceed
    what is left of the payment, nor what is open on each invoice. Returns the new allocation ids.
    """
    if not allocations:
        raise ReconciliationError(_("Choose at least one invoice."))
    with ledger.session() as session, session.begin():
        tx = _transaction(session, transaction_id)
        if tx.status != "booked":
            raise ReconciliationError(_("Only booked transactions can be allocated."))
        if tx.return_reason or tx.reconciliation == "ignored":
            raise ReconciliationError(_("This transaction is a return or marked as ignored."))
        invoices = {invoice.id: invoice for invoice in _match_invoices(session, [item[0] for item in allocations])}
        side = RECEIVABLE if tx.amount_cents > 0 else PAYABLE
        wanted: dict[int, list[int]] = {}
        for item in allocations:
            invoice_id, amount = item[0], item[1]
            discount = item[2] if len(item) > 2 else Decimal(0)  # type: ignore[misc]
            invoice = invoices.get(invoice_id)
            if invoice is None:
                raise ReconciliationError(_("No open invoice {id}").format(id=invoice_id))
            if invoice.kind != side:
                raise ReconciliationError(
                    _("{number} is a payable, a credit settles receivables").format(number=invoice.number)
                    if side == RECEIVABLE
                    else _("{number} is a receivable, a debit settles payables").format(number=invoice.number)
                )
            if amount <= 0 or discount < 0:
                raise ReconciliationError(_("Amounts must be positive ({number}).").format(number=invoice.number))
            entry = wanted.setdefault(invoice_id, [0, 0])
            entry[0] += to_cents(amount)
            entry[1] += to_cents(discount)
        remaining = abs(tx.amount_cents) - _allocated_on_transaction(session, tx.id)
        total = sum(cents for cents, _discount in wanted.values())
        if total > remaining:
            raise ReconciliationError(
                _("The allocations add up to {total}, but only {left} of the payment is left.").format(
                    total=format_amount(_money(total)), left=format_amount(_money(remaining))
                )
            )
        for invoice_id, (cents, discount) in wanted.items():
            invoice = invoices[invoice_id]
            if cents + discount > to_cents(invoice.open_amount):
                raise ReconciliationError(
                    _("{number}: {amount} is more than the open {open}.").format(
                        number=invoice.number,
                        amount=format_amount(_money(cents + discount)),
                        open=format_amount(invoice.open_amount),
                    )
                )
        parts = [(invoices[invoice_id], cents, discount) for invoice_id, (cents, discount) in wanted.items()]
        rows = _book(session, tx, parts, method="manual", confidence=1.0, actor=actor)
        _learn(session, tx, [invoices[invoice_id] for invoice_id in wanted], actor=actor)
        return [row.id for row in rows]


def _learn(session: Session, tx: Transaction, invoices: Sequence[MatchInvoice], *, actor: str) -> None:
    """Store what the engine's `learn` adds or changes, as audited rows."""
    before = _knowledge(session)
    after = learn(before, payment=_payment(tx), invoices=invoices)
    for kind, old, new in (
        ("iban", before.customer_by_iban, after.customer_by_iban),
        ("name", before.customer_by_name, after.customer_by_name),
    ):
        for key, customer_id in new.items():
            if old.get(key) != customer_id:
                _remember(session, kind, key, customer_id, source="manual", actor=actor)


def _remember(session: Session, kind: str, key: str, customer_id: int, *, source: str, actor: str) -> None:
    row = session.scalar(select(LearnedPayer).where(LearnedPayer.key_kind == kind, LearnedPayer.key == key))
    action = "update"
    if row is None:
        row = LearnedPayer(key_kind=kind, key=key[:200], customer_id=customer_id)
        session.add(row)
        action = "create"
    row.customer_id, row.source, row.learned_by = customer_id, source, actor
    session.flush()
    audit.record_row(session, actor=actor, action=action, row=row, summary=f"payer {kind} {key} -> {customer_id}")


def link_iban(session: Session, customer: Customer, iban: str, *, actor: str) -> None:
    """An IBAN from an invoice export: the customer's master IBAN if it has none, else a known payer IBAN."""
    iban = normalize_iban(iban)
    if not iban or normalize_iban(customer.iban) == iban:
        return
    if not customer.iban:
        customer.iban = iban
        audit.record_row(session, actor=actor, action="update", row=customer, summary=f"{customer.name}: IBAN")
        return
    _remember(session, "iban", iban, customer.id, source="import", actor=actor)


def ignore_payment(ledger: Ledger, transaction_id: int, reason: str, *, actor: str) -> None:
    """'No invoice' (a tax refund, interest, a transfer between own accounts): out of matching for good."""
    with ledger.session() as session, session.begin():
        tx = _transaction(session, transaction_id)
        if _allocated_on_transaction(session, tx.id):
            raise ReconciliationError(_("Undo the allocations of this transaction first."))
        tx.reconciliation = "ignored"
        tx.reconciliation_note = reason.strip()[:200]
        audit.record_row(session, actor=actor, action="ignore", row=tx, summary=reason.strip()[:200])


def undo_allocation(
    ledger: Ledger, *, allocation_id: int | None = None, transaction_id: int | None = None, actor: str
) -> int:
    """Remove one allocation, or all of a transaction (which also lifts an 'ignored'); returns how many went.

    An undone automatic booking is not booked again by later runs; the payment waits for a person.
    """
    if (allocation_id is None) == (transaction_id is None):
        raise ValueError("give allocation_id or transaction_id")
    with ledger.session() as session, session.begin():
        if allocation_id is not None:
            allocation = session.get(Allocation, allocation_id)
            if allocation is None:
                raise ReconciliationError(_("No allocation {id}").format(id=allocation_id))
            allocations = [allocation]
            tx = _transaction(session, allocation.transaction_id)
        else:
            assert transaction_id is not None
            tx = _transaction(session, transaction_id)
            allocations = list(session.scalars(select(Allocation).where(Allocation.transaction_id == tx.id)))
            if tx.reconciliation == "ignored" and not tx.return_reason and tx.id not in _returned(session, [tx.id]):
                tx.reconciliation, tx.reconciliation_note = "open", ""
                audit.record_row(session, actor=actor, action="unignore", row=tx, summary="undo")
        for allocation in allocations:
            invoice = session.get(Invoice, allocation.invoice_id)
            number = invoice.number if invoice else str(allocation.invoice_id)
            if allocation.method == "auto":
                tx.manual_only = True
            _remove(session, allocation, actor=actor, summary=f"undo {number} ({allocation.method})")
        if allocations:
            tx.reconciliation_note = _("allocation undone")
        _set_state(session, tx)
        return len(allocations)


def _returned(session: Session, ids: Sequence[int]) -> set[int]:
    return set(session.scalars(select(Transaction.return_of_id).where(Transaction.return_of_id.in_(list(ids)))))


# -- the invoices view -----------------------------------------------------------------------------------


def invoice_rows(ledger: Ledger, filter: InvoiceFilter | None = None, *, today: date | None = None) -> list[InvoiceRow]:
    """Invoices with open amount and status, newest first; filters on kind, status, text and customer."""
    filter = filter or InvoiceFilter()
    today = today or date.today()
    query = _invoice_query()
    if filter.kind:
        query = query.where(Invoice.kind == filter.kind)
    if filter.customer_id is not None:
        query = query.where(Invoice.customer_id == filter.customer_id)
    if filter.status == "review":
        query = query.where(Invoice.needs_review.is_(True))
    if filter.text.strip():
        pattern = "%" + filter.text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                Invoice.number.ilike(pattern, escape="\\"),
                Customer.name.ilike(pattern, escape="\\"),
                Customer.number.ilike(pattern, escape="\\"),
            )
        )
    query = query.order_by(Invoice.issued_on.desc(), Invoice.id.desc())
    rows: list[InvoiceRow] = []
    with ledger.session() as session:
        for values in session.execute(query):
            row = _invoice_row(values, today)
            if filter.status and filter.status != "review" and not _has_status(row, filter.status):
                continue
            rows.append(row)
            if filter.limit is not None and len(rows) >= filter.limit:
                break
    return rows


def _has_status(row: InvoiceRow, wanted: str) -> bool:
    if wanted == "open":
        return row.status in ("open", "partial", "overdue")
    return row.status == wanted


def _invoice_row(values: Sequence, today: date) -> InvoiceRow:  # type: ignore[type-arg]
    (id, number, kind, customer_id, name, customer_number, issued_on, due_on, amount_cents, allocated,
     reported, currency, cancelled, needs_review, review_note) = values  # fmt: skip
    open_cents = _open_cents(amount_cents, allocated, reported)
    overdue_days = 0
    if cancelled:
        status = "cancelled"
    elif open_cents <= 0:
        status = "paid"
    elif due_on is not None and due_on < today:
        status, overdue_days = "overdue", (today - due_on).days
    elif open_cents < amount_cents:
        status = "partial"
    else:
        status = "open"
    return InvoiceRow(
        id=id,
        number=number,
        kind=kind,
        customer_id=customer_id,
        customer_name=name,
        customer_number=customer_number,
        issued_on=issued_on,
        due_on=due_on,
        amount=_money(amount_cents),
        open_amount=_money(open_cents),
        currency=currency,
        status=status,
        overdue_days=overdue_days,
        needs_review=needs_review,
        review_note=review_note,
    )


def clear_review(ledger: Ledger, invoice_id: int, *, actor: str) -> None:
    """The bookkeeper checked a changed invoice against its allocations."""
    with ledger.session() as session, session.begin():
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            raise ReconciliationError(_("No invoice {id}").format(id=invoice_id))
        invoice.needs_review, invoice.review_note = False, ""
        audit.record_row(session, actor=actor, action="review", row=invoice, summary=f"{invoice.number} reviewed")


# -- notifications ---------------------------------------------------------------------------------------


def notifications(ledger: Ledger, *, unread_only: bool = False, limit: int = 200) -> list[NotificationRow]:
    """Newest first, for the notification bell."""
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if unread_only:
        query = query.where(Notification.read.is_(False))
    with ledger.session() as session:
        return [NotificationRow(n.id, n.created_at, n.kind, n.message, n.read) for n in session.scalars(query)]


def unread_count(ledger: Ledger) -> int:
    with ledger.session() as session:
        return session.scalar(select(func.count(Notification.id)).where(Notification.read.is_(False))) or 0


def mark_read(ledger: Ledger, ids: Iterable[int] | None = None) -> None:
    """Mark the given notifications read, or all of them."""
    statement = update(Notification).values(read=True)
    if ids is not None:
        statement = statement.where(Notification.id.in_(list(ids)))
    with ledger.session() as session, session.begin():
        session.execute(statement)


# -- export ----------------------------------------------------------------------------------------------


def export_allocations(ledger: Ledger, out: Path) -> int:
    """One UTF-8 CSV row per allocation, amounts with a decimal point, for the tax adviser or a DATEV import.

    Text cells are formula-safe and the file is private (0600): see csv_safety and private_files.
    """
    query = (
        select(
            Transaction.bank_reference,
            Transaction.booked_on,
            Transaction.amount_cents,
            Transaction.counterparty_name,
            Invoice.number,
            Allocation.amount_cents,
            Allocation.method,
            Allocation.confidence,
            Allocation.discount_cents,
            Customer.number,
            Customer.name,
            Transaction.id,
            Invoice.id,
            Allocation.created_by,
            Allocation.created_at,
        )
        .join(Transaction, Transaction.id == Allocation.transaction_id)
        .join(Invoice, Invoice.id == Allocation.invoice_id)
        .join(Customer, Customer.id == Invoice.customer_id)
        .order_by(Transaction.booked_on, Transaction.id, Allocation.id)
    )
    count = 0
    out = Path(out)
    make_parent(out)
    partial = out.with_name(out.name + ".partial")
    with ledger.session() as session, open_private(partial, "w", encoding="utf-8", newline="") as stream:
        writer = SafeWriter(stream)
        writer.writerow(EXPORT_COLUMNS)
        for (reference, booked_on, amount, name, number, allocated, method, confidence, discount, customer_number,
             customer_name, tx_id, invoice_id, by, at) in session.execute(query):  # fmt: skip
            writer.writerow(
                [reference, booked_on.isoformat(), number_cell(_money(amount)), name, number,
                 number_cell(_money(allocated)), method, f"{confidence:.3f}", number_cell(_money(discount)),
                 customer_number, customer_name, tx_id, invoice_id, by, at.isoformat(timespec="seconds")]
            )  # fmt: skip
            count += 1
    partial.replace(out)
    return count
