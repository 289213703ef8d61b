"""The open-items list (OP-Liste): invoices with what is still open on them, for the invoices view and Map."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.models.dunning import DunningHold, DunningItem, DunningLetter, DunningRun, DunningRunStatus
from app.models.schema import Allocation, Customer, CustomerCredit, Invoice, InvoiceDocument
from app.services.formatting import from_cents
from app.services.i18n import N_, _, ngettext
from app.services.ledger.database import Ledger


class InvoiceStatus(StrEnum):
    """Where an invoice stands, derived from its amount, its allocations, its due date and the billing system."""

    OPEN = "open"
    PARTIAL = "partial"
    PAID = "paid"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


UNPAID = frozenset({InvoiceStatus.OPEN, InvoiceStatus.PARTIAL, InvoiceStatus.OVERDUE})
STATUS_LABELS: dict[str, str] = {
    InvoiceStatus.OPEN: N_("open"),
    InvoiceStatus.PARTIAL: N_("partially paid"),
    InvoiceStatus.PAID: N_("paid"),
    InvoiceStatus.OVERDUE: N_("overdue"),
    InvoiceStatus.CANCELLED: N_("cancelled"),
}


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
    dunning_level: int = 0  # the highest dunning level a sent letter gave it
    dunning_held: bool = False  # a dunning block or a promise to pay (of the invoice or its customer)
    has_original: bool = False  # the e-invoice file it was imported from is kept
    customer_credit: Decimal = Decimal("0.00")  # held for the customer (a double payment), usable on this invoice

    @property
    def status_label(self) -> str:
        """'overdue (12 days), dunning level 2', 'partially paid', … in the user's language."""
        if self.status == InvoiceStatus.OVERDUE:
            label = ngettext("overdue ({n} day)", "overdue ({n} days)", self.overdue_days).format(n=self.overdue_days)
        else:
            label = _(STATUS_LABELS[self.status])
        if self.status in UNPAID and self.dunning_level:
            label += ", " + _("dunning level {level}").format(level=self.dunning_level)
        if self.status in UNPAID and self.dunning_held:
            label += ", " + _("dunning on hold")
        return label


def allocated_cents() -> Select:  # (invoice_id, cents)
    return select(
        Allocation.invoice_id.label("invoice_id"),
        func.sum(Allocation.amount_cents + Allocation.discount_cents).label("cents"),
    ).group_by(Allocation.invoice_id)


def open_cents_of(amount_cents: int, allocated_cents: int, reported_open_cents: int | None) -> int:
    """Unpaid by our allocations, and never more than the billing system says is open (paid in cash, elsewhere)."""
    open_cents = max(0, amount_cents - allocated_cents)
    return open_cents if reported_open_cents is None else min(open_cents, max(0, reported_open_cents))


def _invoice_query(today: date, status: str | None) -> Select:
    """Every column of an InvoiceRow; for a status filter the database already leaves out the invoices that
    cannot have it (most of a ledger's invoices are paid), `_has_status` decides exactly."""
    allocated = allocated_cents().subquery()
    sent_level = (
        select(func.max(DunningItem.level))
        .join(DunningLetter, DunningLetter.id == DunningItem.letter_id)
        .join(DunningRun, DunningRun.id == DunningLetter.run_id)
        .where(DunningItem.invoice_id == Invoice.id, DunningRun.status == DunningRunStatus.SENT)
        .scalar_subquery()
    )
    held = (
        select(DunningHold.id)
        .where(
            or_(DunningHold.invoice_id == Invoice.id, DunningHold.customer_id == Invoice.customer_id),
            or_(DunningHold.until.is_(None), DunningHold.until >= today),
        )
        .exists()
    )
    query = (
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
            func.coalesce(sent_level, 0),
            held,
            select(InvoiceDocument.id).where(InvoiceDocument.invoice_id == Invoice.id).exists(),
            select(func.coalesce(func.sum(CustomerCredit.amount_cents), 0))
            .where(CustomerCredit.customer_id == Invoice.customer_id)
            .scalar_subquery(),
        )
        .join(Customer, Customer.id == Invoice.customer_id)
        .outerjoin(allocated, allocated.c.invoice_id == Invoice.id)
    )
    if status in UNPAID:  # open_cents_of(...) > 0 on an invoice not cancelled
        query = query.where(
            Invoice.cancelled.is_(False),
            Invoice.amount_cents - func.coalesce(allocated.c.cents, 0) > 0,
            or_(Invoice.reported_open_cents.is_(None), Invoice.reported_open_cents > 0),
        )
    if status == InvoiceStatus.OVERDUE:
        query = query.where(Invoice.due_on < today)
    elif status == InvoiceStatus.CANCELLED:
        query = query.where(Invoice.cancelled.is_(True))
    return query


def invoice_rows(ledger: Ledger, filter: InvoiceFilter | None = None, *, today: date | None = None) -> list[InvoiceRow]:
    """Invoices with open amount and status, newest first; filters on kind, status, text and customer."""
    with ledger.session() as session:
        return invoice_rows_in(session, filter, today=today)


def invoice_rows_in(
    session: Session, filter: InvoiceFilter | None = None, *, today: date | None = None
) -> list[InvoiceRow]:
    """`invoice_rows` inside a session the caller holds (a writer that acts on what it reads)."""
    filter = filter or InvoiceFilter()
    today = today or date.today()
    query = _invoice_query(today, filter.status)
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
    for values in session.execute(query):
        row = _invoice_row(values, today)
        if filter.status and filter.status != "review" and not _has_status(row, filter.status):
            continue
        rows.append(row)
        if filter.limit is not None and len(rows) >= filter.limit:
            break
    return rows


def _has_status(row: InvoiceRow, wanted: str) -> bool:
    if wanted == InvoiceStatus.OPEN:
        return row.status in UNPAID
    return row.status == wanted


def _invoice_row(values: Sequence, today: date) -> InvoiceRow:
    (id, number, kind, customer_id, name, customer_number, issued_on, due_on, amount_cents, allocated,
     reported, currency, cancelled, needs_review, review_note, dunning_level, dunning_held,
     has_original, credit) = values  # fmt: skip
    open_cents = open_cents_of(amount_cents, allocated, reported)
    overdue_days = 0
    if cancelled:
        status = InvoiceStatus.CANCELLED
    elif open_cents <= 0:
        status = InvoiceStatus.PAID
    elif due_on is not None and due_on < today:
        status, overdue_days = InvoiceStatus.OVERDUE, (today - due_on).days
    elif open_cents < amount_cents:
        status = InvoiceStatus.PARTIAL
    else:
        status = InvoiceStatus.OPEN
    return InvoiceRow(
        id=id,
        number=number,
        kind=kind,
        customer_id=customer_id,
        customer_name=name,
        customer_number=customer_number,
        issued_on=issued_on,
        due_on=due_on,
        amount=from_cents(amount_cents),
        open_amount=from_cents(open_cents),
        currency=currency,
        status=status,
        overdue_days=overdue_days,
        needs_review=needs_review,
        review_note=review_note,
        dunning_level=dunning_level,
        dunning_held=bool(dunning_held),
        has_original=bool(has_original),
        customer_credit=from_cents(credit or 0),
    )


def search_open_invoices(ledger: Ledger, text: str, limit: int = 50, *, kind: str | None = None) -> list[InvoiceRow]:
    """Unpaid invoices whose number, customer or customer number contains the text, for a manual mapping."""
    return invoice_rows(ledger, InvoiceFilter(kind=kind, status="open", text=text, limit=limit))
