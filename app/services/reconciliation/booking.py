"""Writing allocations: one by one with their audit events, or a run's automatic ones in a few statements."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.banking import Reconciliation
from app.models.base import stored_datetime, utcnow
from app.models.schema import Allocation, CustomerCredit, Notification, Transaction
from app.services.errors import KontorError
from app.services.formatting import format_amount, format_count, from_cents, to_cents
from app.services.i18n import _, ngettext
from app.services.ledger import audit
from app.services.ledger.dialects import exec_driver, id_chunks, ids_given
from app.services.matching import (
    PAYABLE,
)
from app.services.matching import Invoice as MatchInvoice


class ReconciliationError(KontorError, ValueError):
    """A booking the ledger refuses (amounts too high, wrong side, unknown ids); the message says which."""


def get_transaction(session: Session, transaction_id: int) -> Transaction:
    tx = session.get(Transaction, transaction_id)
    if tx is None:
        raise ReconciliationError(_("No transaction {id}").format(id=transaction_id))
    return tx


def allocated_on_transaction(session: Session, transaction_id: int) -> int:
    """What of a payment is settled: its allocations to invoices and what is held for the customer as credit."""
    allocated = session.scalar(
        select(func.coalesce(func.sum(Allocation.amount_cents), 0)).where(Allocation.transaction_id == transaction_id)
    )
    credited = session.scalar(
        select(func.coalesce(func.sum(CustomerCredit.amount_cents), 0)).where(
            CustomerCredit.transaction_id == transaction_id
        )
    )
    return (allocated or 0) + (credited or 0)


def set_reconciliation_state(session: Session, tx: Transaction) -> None:
    allocated = allocated_on_transaction(session, tx.id)
    if not allocated:
        if tx.reconciliation != Reconciliation.IGNORED:
            tx.reconciliation = Reconciliation.OPEN
    else:
        tx.reconciliation = Reconciliation.MATCHED if allocated >= abs(tx.amount_cents) else Reconciliation.PARTIAL


def book(
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
            summary=f"{invoice.number} {method} {from_cents(cents)} discount {from_cents(discount)} ({confidence:.2f})",
        )
        rows.append(allocation)
        if method == "auto":
            still_open = to_cents(invoice.open_amount) - cents - discount
            message = PaidMessages().text(tx.counterparty_name, invoice, cents, still_open)
            session.add(Notification(kind="match", message=message))
    session.flush()
    set_reconciliation_state(session, tx)
    return rows


NOTIFY_EACH_UP_TO = 100  # a run booking more allocations notifies once, with the count
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


class _AutoAllocationData:
    """`audit.digest(audit.row_data(allocation))` of a run's automatic allocations, with the canonical JSON
    written directly: the JSON encoder per row cost more than the insert (a test holds the two equal)."""

    def __init__(self, actor: str) -> None:
        self._actor = json.dumps(actor, ensure_ascii=False)  # as the audit's canonical JSON writes a string

    def digest(self, transaction_id: int, invoice_id: int, cents: int) -> str:
        text = (
            f'{{"amount_cents":{cents},"created_by":{self._actor},"invoice_id":{invoice_id},'
            f'"method":"auto","transaction_id":{transaction_id}}}'
        )
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class AutoBooking:
    """One automatic allocation of a run, with the open amount its invoice keeps (for the notification)."""

    tx: Any  # a row of _PAYMENT_COLUMNS
    invoice: MatchInvoice
    cents: int
    discount: int
    confidence: float
    open_after: int


def book_automatic(session: Session, booked: Sequence[AutoBooking], *, actor: str) -> None:
    """A run's automatic allocations, notifications and audit events in a few statements, not three per row."""
    tx_ids = sorted({item.tx.id for item in booked})
    allocated: dict[int, int] = {}
    for chunk in id_chunks(tx_ids):
        sums = session.execute(
            select(Allocation.transaction_id, func.sum(Allocation.amount_cents))
            .where(Allocation.transaction_id.in_(chunk))
            .group_by(Allocation.transaction_id)
        )
        allocated.update({tx_id: total for tx_id, total in sums})
    first_id = (session.scalar(select(func.max(Allocation.id))) or 0) + 1
    connection = session.connection()
    stored_at = stored_datetime(connection, utcnow())  # one timestamp for the run, converted once
    messages = PaidMessages() if len(booked) <= NOTIFY_EACH_UP_TO else None
    data = _AutoAllocationData(actor)
    rows, notes, events = [], [], []
    for allocation_id, item in enumerate(booked, start=first_id):
        tx, invoice, cents, discount, confidence = item.tx, item.invoice, item.cents, item.discount, item.confidence
        rows.append((allocation_id, tx.id, invoice.id, cents, discount, "auto", confidence, actor, stored_at))
        if messages is not None:
            text = messages.text(tx.counterparty_name, invoice, cents, item.open_after)
            notes.append(("match", text, stored_at, False))
        summary = f"{invoice.number} auto {from_cents(cents)} discount {from_cents(discount)} ({confidence:.2f})"
        events.append(
            ("create", Allocation.__tablename__, allocation_id, summary, data.digest(tx.id, invoice.id, cents))
        )
        allocated[tx.id] = allocated.get(tx.id, 0) + cents
    exec_driver(connection, _INSERT_ALLOCATIONS, rows)
    ids_given(connection, Allocation.__tablename__)
    if messages is None:
        notes.append(("match", _many_paid(len(booked), len(tx_ids)), stored_at, False))
    exec_driver(connection, "INSERT INTO notifications (kind, message, created_at, read) VALUES (?, ?, ?, ?)", notes)
    audit.record_digested(session, actor=actor, events=events)
    states = {item.tx.id: abs(item.tx.amount_cents) for item in booked}
    exec_driver(
        connection,
        "UPDATE transactions SET reconciliation = ? WHERE id = ?",
        [
            (Reconciliation.MATCHED.value if allocated[tx_id] >= amount else Reconciliation.PARTIAL.value, tx_id)
            for tx_id, amount in states.items()
        ],
    )
    session.expire_all()  # Transaction objects of this session may still hold their old state


def _many_paid(allocations: int, payments: int) -> str:
    """The one notification of a big run: its invoices one by one would bury every other notification."""
    return ngettext(
        "{payments} payment assigned to invoices automatically ({allocations} allocations)",
        "{payments} payments assigned to invoices automatically ({allocations} allocations)",
        payments,
    ).format(allocations=format_count(allocations), payments=format_count(payments))


class PaidMessages:
    """The notification texts of a run, translated once rather than once per allocation."""

    def __init__(self) -> None:
        self.payable_partly = _("Invoice {number} of {name} partly paid, {amount}")
        self.payable_paid = _("Invoice {number} of {name} paid, {amount}")
        self.partly = _("Invoice {number} partly paid by {name}, {amount} ({open} still open)")
        self.paid = _("Invoice {number} paid by {name}, {amount}")

    def text(self, payer: str, invoice: MatchInvoice, cents: int, still_open: int) -> str:
        amount = format_amount(from_cents(cents), invoice.currency)
        if invoice.kind == PAYABLE:
            template = self.payable_partly if still_open > 0 else self.payable_paid
            return template.format(number=invoice.number, name=invoice.customer_name, amount=amount)
        payer = payer or invoice.customer_name
        if still_open > 0:
            return self.partly.format(
                number=invoice.number,
                name=payer,
                amount=amount,
                open=format_amount(from_cents(still_open), invoice.currency),
            )
        return self.paid.format(number=invoice.number, name=payer, amount=amount)


def remove_allocation(session: Session, allocation: Allocation, *, actor: str, summary: str) -> None:
    session.delete(allocation)
    session.flush()
    audit.record_row(session, actor=actor, action="delete", row=allocation, summary=summary)
