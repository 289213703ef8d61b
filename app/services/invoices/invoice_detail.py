"""Everything the Invoices page shows beside one invoice: the payments that settled it, what happened to it (from the
audit trail), the credit used on it and the notes on it.

Read-only; the history is built from audit events, which survive an undone allocation, so it tells the whole story
("allocated automatically", then "allocation undone", then "allocated by hand")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.models.dunning import DunningHold
from app.models.schema import Allocation, AuditEvent, Invoice, Transaction
from app.services.errors import KontorError
from app.services.formatting import format_date, from_cents
from app.services.i18n import N_, _
from app.services.ledger.database import Ledger

FROM_CREDIT = "paid from credit"  # how credits.use_credit describes its allocations in the audit trail
_AMOUNT = re.compile(r" (?:auto|manual) (-?\d+\.\d{2})\b")
_EVENT_TEXTS = {
    ("invoices", "create"): N_("imported"),
    ("invoices", "update"): N_("changed by a re-import"),
    ("invoices", "review"): N_("marked as checked after the re-import"),
    ("allocations", "auto"): N_("payment allocated automatically"),
    ("allocations", "manual"): N_("payment allocated by hand"),
    ("allocations", "credit"): N_("paid from the customer's credit"),
    ("allocations", "delete"): N_("allocation undone"),
}


@dataclass(frozen=True, slots=True)
class SettlingPayment:
    """One booking that paid (part of) the invoice; `amount` is the part allocated to this invoice."""

    transaction_id: int
    booked_on: date
    amount: Decimal
    discount: Decimal
    payment_amount: Decimal
    counterparty: str
    purpose: str
    automatic: bool
    from_credit: bool


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    actor: str
    text: str  # in the user's language
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class InvoiceDetail:
    invoice_id: int
    number: str
    payments: list[SettlingPayment]
    history: list[HistoryEntry]
    notes: list[str]
    credit_used: Decimal


def invoice_detail(ledger: Ledger, invoice_id: int) -> InvoiceDetail:
    """Payments, history and notes of one invoice. Blocks on the ledger; call from a worker."""
    with ledger.session() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            raise KontorError(_("There is no invoice {id}.").format(id=invoice_id))
        events = _events(session, invoice)
        credit_allocations = {
            event.entity_id for event in events if event.entity == "allocations" and FROM_CREDIT in event.summary
        }
        payments = [
            SettlingPayment(
                transaction_id=tx.id,
                booked_on=tx.booked_on,
                amount=from_cents(allocation.amount_cents),
                discount=from_cents(allocation.discount_cents),
                payment_amount=from_cents(tx.amount_cents),
                counterparty=tx.counterparty_name,
                purpose=" ".join(tx.purpose.split()),
                automatic=allocation.method == "auto",
                from_credit=allocation.id in credit_allocations,
            )
            for allocation, tx in session.execute(
                select(Allocation, Transaction)
                .join(Transaction, Transaction.id == Allocation.transaction_id)
                .where(Allocation.invoice_id == invoice.id)
                .order_by(Transaction.booked_on, Allocation.id)
            )
        ]
        allocations = {
            allocation.id: allocation
            for allocation in session.scalars(select(Allocation).where(Allocation.invoice_id == invoice.id))
        }
        history = [_entry(event, allocations) for event in events]
        return InvoiceDetail(
            invoice_id=invoice.id,
            number=invoice.number,
            payments=payments,
            history=history,
            notes=_notes(session, invoice),
            credit_used=sum((p.amount for p in payments if p.from_credit), Decimal("0.00")),
        )


def _events(session: Session, invoice: Invoice) -> list[AuditEvent]:
    """The invoice's own events and those of allocations to it: today's by their id, undone ones by their summary,
    which starts with the invoice's number."""
    number = invoice.number
    current = select(Allocation.id).where(Allocation.invoice_id == invoice.id)
    about_it = or_(
        AuditEvent.entity_id.in_(current),
        AuditEvent.summary.startswith(f"{number} ", autoescape=True),
        AuditEvent.summary.startswith(f"undo {number} ", autoescape=True),
    )
    own = (AuditEvent.entity == "invoices") & (AuditEvent.entity_id == invoice.id)
    query = select(AuditEvent).where(or_(own, (AuditEvent.entity == "allocations") & about_it))
    return list(session.scalars(query.order_by(AuditEvent.id)))


def _entry(event: AuditEvent, allocations: dict[int, Allocation]) -> HistoryEntry:
    amount: Decimal | None = None
    if event.entity == "invoices":
        key = (event.entity, event.action)
    elif event.action == "delete":
        key = ("allocations", "delete")
    else:
        allocation = allocations.get(event.entity_id or 0)
        credit = FROM_CREDIT in event.summary
        automatic = allocation.method == "auto" if allocation is not None else " auto " in f"{event.summary} "
        key = ("allocations", "credit" if credit else "auto" if automatic else "manual")
        if allocation is not None:
            amount = from_cents(allocation.amount_cents)
        elif match := _AMOUNT.search(event.summary):
            amount = Decimal(match.group(1))
    text = _(_EVENT_TEXTS.get(key, N_("changed")))
    return HistoryEntry(event.at, event.actor, text, amount)


def _notes(session: Session, invoice: Invoice) -> list[str]:
    """The re-import's note while it needs a check, and any dunning hold on the invoice or its customer."""
    notes = []
    if invoice.needs_review and invoice.review_note:
        notes.append(_("Changed by a re-import: {note}").format(note=invoice.review_note))
    holds = session.scalars(
        select(DunningHold).where(
            or_(DunningHold.invoice_id == invoice.id, DunningHold.customer_id == invoice.customer_id)
        )
    )
    for hold in holds:
        reason = hold.reason or _("no reason given")
        notes.append(
            _("Dunning on hold until {until}: {reason}").format(until=format_date(hold.until), reason=reason)
            if hold.until
            else _("Dunning on hold: {reason}").format(reason=reason)
        )
    return notes
