"""Runs the matching engine on the ledger and keeps what it and the bookkeeper decide: allocations, learning, undo.

The engine (app.services.matching) knows nothing of storage; this module loads its plain values from the ledger,
writes allocations with their audit events and notifications, and offers the queries of the invoices view and
the Map dialog. Every function that takes a `Ledger` blocks; call it from a worker.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.schema import (
    Allocation,
    Customer,
    Invoice,
    LearnedPayer,
    Notification,
    Transaction,
)
from app.services import audit
from app.services.company_settings import read_section, write_section
from app.services.formatting import format_amount, to_cents
from app.services.gc_pause import collector_paused
from app.services.i18n import N_, _, ngettext
from app.services.ledger import Ledger
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


class ReconciliationError(ValueError):
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
    query = _invoice_query().where(Invoice.cancelled.is_(False))
    if ids is not None:
        query = query.where(Invoice.id.in_(list(ids)))
    return [
        MatchInvoice(
            id=row[0],
            number=row[1],
            customer_id=row[3],
            customer_name=row[4],
            kind=row[2],
            issued_on=row[6],
            due_on=row[7],
            amount=_money(row[8]),
            open_amount=_money(_open_cents(row[8], row[9], row[10])),
            currency=row[11],
        )
        for row in session.execute(query)
    ]


def _knowledge(session: Session) -> PayerKnowledge:
    knowledge = PayerKnowledge()
    for kind, key, customer_id in session.execute(
        select(LearnedPayer.key_kind, LearnedPayer.key, LearnedPayer.customer_id).order_by(LearnedPayer.id)
    ):
        (knowledge.customer_by_iban if kind == "iban" else knowledge.customer_by_name)[key] = customer_id
    return knowledge


def _matcher(session: Session, invoices: Sequence[MatchInvoice]) -> Matcher:
    customers = [
        MatchCustomer(id, number, name, (iban,) if iban else ())
        for id, number, name, iban in session.execute(
            select(Customer.id, Customer.number, Customer.name, Customer.iban)
        )
    ]
    return Matcher(invoices, customers, knowledge=_knowledge(session), config=_config(session))


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
            session.add(Notification(kind="match", message=_paid_message(tx, invoice, cents, discount)))
    session.flush()
    _set_state(session, tx)
    return rows


def _book_automatic(
    session: Session, booked: Sequence[tuple[Transaction, MatchInvoice, int, int, float]], *, actor: str
) -> None:
    """A run's automatic allocations, notifications and audit events in a few statements, not three per row.

    Each (transaction, invoice as it stood before this allocation, cents, discount cents, confidence)."""
    tx_ids = sorted({tx.id for tx, *_rest in booked})
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
    created_at = utcnow()
    rows, notes, events = [], [], []
    for allocation_id, (tx, invoice, cents, discount, confidence) in enumerate(booked, start=first_id):
        row = {
            "id": allocation_id,
            "transaction_id": tx.id,
            "invoice_id": invoice.id,
            "amount_cents": cents,
            "discount_cents": discount,
            "method": "auto",
            "confidence": confidence,
            "created_by": actor,
            "created_at": created_at,
        }
        rows.append(row)
        notes.append(
            {
                "kind": "match",
                "message": _paid_message(tx, invoice, cents, discount),
                "created_at": created_at,
                "read": False,
            }
        )
        events.append(
            audit.EventSpec(
                action="create",
                entity=Allocation.__tablename__,
                entity_id=allocation_id,
                data={name: row[name] for name in Allocation.__audited__},
                summary=f"{invoice.number} auto {_money(cents)} discount {_money(discount)} ({confidence:.2f})",
            )
        )
        allocated[tx.id] = allocated.get(tx.id, 0) + cents
    session.connection().execute(insert(Allocation.__table__), rows)
    session.connection().execute(insert(Notification.__table__), notes)
    audit.record_many(session, actor=actor, events=events)
    states = {}
    for tx, *_rest in booked:
        states[tx.id] = "matched" if allocated[tx.id] >= abs(tx.amount_cents) else "partial"
    table = Transaction.__table__
    session.connection().execute(
        update(table).where(table.c.id == bindparam("tx_id")).values(reconciliation=bindparam("state")),
        [{"tx_id": tx_id, "state": state} for tx_id, state in states.items()],
    )
    session.expire_all()  # the Transaction objects of this session still hold their old state


def _paid_message(tx: Transaction, invoice: MatchInvoice, cents: int, discount: int) -> str:
    amount = format_amount(_money(cents), invoice.currency)
    payer = tx.counterparty_name or invoice.customer_name
    still_open = to_cents(invoice.open_amount) - cents - discount
    if invoice.kind == PAYABLE:
        if still_open > 0:
            return _("Invoice {number} of {name} partly paid, {amount}").format(
                number=invoice.number, name=invoice.customer_name, amount=amount
            )
        return _("Invoice {number} of {name} paid, {amount}").format(
            number=invoice.number, name=invoice.customer_name, amount=amount
        )
    if still_open > 0:
        return _("Invoice {number} partly paid by {name}, {amount} ({open} still open)").format(
            number=invoice.number, name=payer, amount=amount, open=format_amount(_money(still_open), invoice.currency)
        )
    return _("Invoice {number} paid by {name}, {amount}").format(number=invoice.number, name=payer, amount=amount)


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


def _transactions(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    """The columns matching reads, as rows: whole ORM objects (with the raw record) cost more than the match."""
    found: dict[int, Any] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found.update((tx.id, tx) for tx in session.execute(select(*_PAYMENT_COLUMNS).where(Transaction.id.in_(chunk))))
    return found


def _run(session: Session, *, actor: str, transaction_ids: Sequence[int] | None, dry_run: bool) -> MatchSummary:
    summary = MatchSummary(dry_run=dry_run)
    if not dry_run:
        summary.returns_reversed = _settle_returns(session, actor=actor, transaction_ids=transaction_ids)
    conditions = [*_matchable(), Transaction.manual_only.is_(False)]
    ids: list[int] = []
    if transaction_ids is None:
        ids = list(session.scalars(select(Transaction.id).where(*conditions).order_by(Transaction.id)))
    else:
        wanted = list(transaction_ids)
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            ids += session.scalars(select(Transaction.id).where(Transaction.id.in_(chunk), *conditions))
    if not ids:
        return summary
    loaded = _match_invoices(session)
    matcher = _matcher(session, loaded)
    invoices = {invoice.id: invoice for invoice in loaded}
    transactions = _transactions(session, ids)
    payments = [_payment(transactions[tx_id]) for tx_id in ids]
    summary.payments = len(payments)
    booked: list[tuple[Transaction, MatchInvoice, int, int, float]] = []
    for result in matcher.match_all(payments):
        if result.status == "auto" and result.best is not None:
            summary.auto += 1
            tx = transactions[result.payment_id]
            for allocation in result.best.allocations:
                invoice = invoices[allocation.invoice_id]
                cents, discount = to_cents(allocation.amount), to_cents(allocation.discount)
                booked.append((tx, invoice, cents, discount, result.best.score))
                invoices[invoice.id] = _reduced(invoice, cents + discount)
                summary.allocations.append(
                    BookedAllocation(
                        transaction_id=tx.id,
                        invoice_id=invoice.id,
                        invoice_number=invoice.number,
                        payer=tx.counterparty_name,
                        amount=allocation.amount,
                        discount=allocation.discount,
                        confidence=result.best.score,
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


def _reduced(invoice: MatchInvoice, cents: int) -> MatchInvoice:
    """The invoice as the next notification of the same run must see it."""
    return MatchInvoice(
        id=invoice.id,
        number=invoice.number,
        customer_id=invoice.customer_id,
        customer_name=invoice.customer_name,
        kind=invoice.kind,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        amount=invoice.amount,
        open_amount=invoice.open_amount - _money(cents),
        currency=invoice.currency,
    )


def match_payments(
    ledger: Ledger, *, actor: str, dry_run: bool = False, transaction_ids: Sequence[int] | None = None
) -> MatchSummary:
    """Book what is certain, count what needs a person; only the given payments when `transaction_ids` is set."""
    with collector_paused(), ledger.session() as session, session.begin():
        return _run(session, actor=actor, transaction_ids=transaction_ids, dry_run=dry_run)


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
    with ledger.session() as session:
        tx = _transaction(session, transaction_id)
        remaining = abs(tx.amount_cents) - _allocated_on_transaction(session, tx.id)
        if remaining <= 0 or tx.status != "booked":
            return []
        loaded = _match_invoices(session)
        matcher = _matcher(session, loaded)
        proposals = matcher.suggest(_payment(tx, remaining if tx.amount_cents > 0 else -remaining), limit=limit)
        invoices = {invoice.id: invoice for invoice in loaded}
        return [_suggestion(proposal, invoices) for proposal in proposals]


def _suggestion(proposal: Proposal, invoices: dict[int, MatchInvoice]) -> Suggestion:
    return Suggestion(
        score=proposal.score,
        kind=proposal.kind,
        reasons=proposal.reasons,
        allocations=tuple(
            SuggestedAllocation(
                invoice_id=a.invoice_id,
                invoice_number=invoices[a.invoice_id].number,
                customer_name=invoices[a.invoice_id].customer_name,
                amount=a.amount,
                discount=a.discount,
                open_amount=invoices[a.invoice_id].open_amount,
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
    """One UTF-8 CSV row per allocation, amounts with a decimal point, for the tax adviser or a DATEV import."""
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
    partial = out.with_name(out.name + ".partial")
    with ledger.session() as session, partial.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(EXPORT_COLUMNS)
        for (reference, booked_on, amount, name, number, allocated, method, confidence, discount, customer_number,
             customer_name, tx_id, invoice_id, by, at) in session.execute(query):  # fmt: skip
            writer.writerow(
                [reference, booked_on.isoformat(), f"{_money(amount):.2f}", name, number, f"{_money(allocated):.2f}",
                 method, f"{confidence:.3f}", f"{_money(discount):.2f}", customer_number, customer_name, tx_id,
                 invoice_id, by, at.isoformat(timespec="seconds")]
            )  # fmt: skip
            count += 1
    partial.replace(out)
    return count
