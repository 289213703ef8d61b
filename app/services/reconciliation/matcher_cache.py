"""The matcher of an open ledger.

Building the engine's indexes over every open invoice takes longer than matching a day's payments, so each
open ledger (engine) keeps its last Matcher. It is trusted only while the books it was built from are
unchanged: writes of this process to invoices, customers or learned payers bump a generation number (also
after commit and rollback), and aggregates of those tables catch other processes. Allocations need no
rebuild: each use compares the matcher's open amounts with the ledger's and moves the ones that differ.
"""

from __future__ import annotations

import hashlib
import re
import threading
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from app.models.schema import (
    Allocation,
    Customer,
    Invoice,
    LearnedPayer,
)
from app.services.invoices.open_items import allocated_cents, open_cents_of
from app.services.ledger.database import Ledger
from app.services.ledger.dialects import total
from app.services.matching import (
    MatchConfig,
    Matcher,
)
from app.services.reconciliation.engine_input import (
    build_matcher,
    engine_invoices_with_figures,
    match_config,
    payer_knowledge,
)

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
            total(Invoice.amount_cents),
            total(Invoice.reported_open_cents),
            total(Invoice.cancelled),
            total(Invoice.customer_id),
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
    row = session.execute(select(func.count(), func.max(LearnedPayer.id), total(LearnedPayer.customer_id))).one()
    return (generation, *row)


def _allocations_state(session: Session) -> tuple[Any, ...]:
    row = session.execute(
        select(
            func.count(),
            func.max(Allocation.id),
            total(Allocation.amount_cents + Allocation.discount_cents),
            total(Allocation.invoice_id),
        )
    ).one()
    return tuple(row)


def _current(cache: _MatcherCache, session: Session, books_generation: int, knowledge_generation: int) -> _Cached:
    """The cached matcher brought in line with the books this session sees, or a new one."""
    config = match_config(session)
    books = _books_state(session, books_generation)
    entry = cache.entry
    if entry is None or entry.books != books or entry.config != config:
        cache.entry = None
        invoices, figures = engine_invoices_with_figures(session)
        matcher = build_matcher(session, invoices, config)
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
        entry.matcher.set_knowledge(payer_knowledge(session))
        entry.knowledge = knowledge
    allocations = _allocations_state(session)
    if entry.allocations != allocations:
        allocated = {invoice_id: cents for invoice_id, cents in session.execute(allocated_cents())}
        matcher = entry.matcher
        for invoice_id, open_cents in matcher.open_cents().items():
            amount_cents, reported = entry.figures[invoice_id]
            wanted = open_cents_of(amount_cents, allocated.get(invoice_id, 0), reported)
            if wanted != open_cents:
                matcher.set_open_cents(invoice_id, wanted)
        entry.allocations = allocations
    return entry


@contextmanager
def cached_matcher(
    session: Session, *, changes: bool, booked: bool = False, generations: tuple[int, int] | None = None
) -> Iterator[Matcher]:
    """The open ledger's matcher for this session, or a private one while another thread uses it.

    Never waits for the other thread: it may hold the ledger's write lock that this session's caller needs.
    `changes`: the caller will move open amounts (a run), so the next use syncs them with the ledger again,
    unless `booked`: the caller writes, in `session` and before the block ends, allocations for exactly what it
    moved. The matcher then agrees with the books as this session leaves them, and the next use skips reading
    every invoice's allocations again; should the session roll back, the allocations differ and are read.
    `generations`: as read before the session's first query, for a session that only reads.
    """
    cache = _cache_of(session)
    if cache is None or not cache.lock.acquire(blocking=False):
        invoices, _figures = engine_invoices_with_figures(session)
        yield build_matcher(session, invoices)
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
            entry.allocations = _allocations_state(session) if booked else None
    finally:
        cache.lock.release()


def generations_of(ledger: Ledger) -> tuple[int, int] | None:
    with _caches_lock:
        cache = _caches.get(ledger.engine)
    return None if cache is None else (cache.books_generation, cache.knowledge_generation)
