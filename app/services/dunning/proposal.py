"""Who gets which dunning letter today: overdue open receivables, grouped per customer, at their next level.

An invoice is due for its next level when the level's days have passed since the due date (first level) or since
the last letter that was sent for it. Blocked invoices and customers and promises to pay are left out; a customer
with an incoming payment Kontor has not allocated yet is proposed but held, because the money may be there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.models.banking import BookingStatus, Reconciliation
from app.models.dunning import DunningHold, DunningItem, DunningLetter, DunningRun, DunningRunStatus
from app.models.schema import Customer, InvoiceCharge, LearnedPayer, Transaction
from app.services.dunning.interest import LUMP_SUM_CENTS, default_interest_cents
from app.services.dunning.settings import DunningSettings, load_settings
from app.services.formatting import format_cents, format_date, to_cents
from app.services.i18n import _
from app.services.invoices.open_items import InvoiceFilter, InvoiceStatus, invoice_rows_in
from app.services.ledger.database import Ledger
from app.services.matching import RECEIVABLE


@dataclass(frozen=True, slots=True)
class ProposedItem:
    invoice_id: int
    number: str
    issued_on: date
    due_on: date
    days_overdue: int
    open_cents: int
    level: int  # the level this letter gives the invoice
    previous_level: int  # 0: never dunned
    interest_cents: int
    lump_sum_cents: int
    charges_cents: int = 0  # owed beyond the invoice: a returned payment's bank fee


@dataclass(frozen=True, slots=True)
class ProposedLetter:
    customer_id: int
    customer_number: str
    customer_name: str
    customer_address: str
    consumer: bool
    level: int  # the highest level among its invoices: the letter's title, text and fee
    items: tuple[ProposedItem, ...]
    fee_cents: int
    held: str  # why it should not go out (an unallocated payment); empty: nothing against it

    @property
    def open_cents(self) -> int:
        return sum(item.open_cents for item in self.items)

    @property
    def interest_cents(self) -> int:
        return sum(item.interest_cents for item in self.items)

    @property
    def fees_cents(self) -> int:
        return self.fee_cents + sum(item.lump_sum_cents + item.charges_cents for item in self.items)

    @property
    def total_cents(self) -> int:
        return self.open_cents + self.interest_cents + self.fees_cents


def propose(ledger: Ledger, *, today: date | None = None) -> list[ProposedLetter]:
    with ledger.session() as session:
        return propose_in(session, today=today or date.today())


def propose_in(session: Session, *, today: date, settings: DunningSettings | None = None) -> list[ProposedLetter]:
    """The letters due today, by customer name; inside the caller's session (a run writes what it read)."""
    settings = settings or load_settings(session)
    overdue = [
        row
        for row in invoice_rows_in(session, InvoiceFilter(kind=RECEIVABLE, status=InvoiceStatus.OVERDUE), today=today)
        if row.due_on is not None and row.currency == "EUR"
    ]
    if not overdue:
        return []
    sent = _sent_levels(session)
    charges = _charges(session)
    blocked_invoices, blocked_customers = _holds(session, today)
    customers = {
        c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_({r.customer_id for r in overdue})))
    }
    by_customer: dict[int, list[ProposedItem]] = defaultdict(list)
    for row in overdue:
        if row.id in blocked_invoices or row.customer_id in blocked_customers:
            continue
        assert row.due_on is not None
        previous, last_sent = sent.get(row.id, (0, None))
        if previous >= len(settings.levels):
            continue  # the final notice went out: what follows is a court's or a collector's business
        level = settings.level(previous + 1)
        since = row.due_on if last_sent is None else last_sent
        if today < since + timedelta(days=level.days):
            continue
        customer = customers[row.customer_id]
        open_cents = to_cents(row.open_amount)
        interest = lump_sum = 0
        if level.interest:
            interest = default_interest_cents(
                open_cents, row.due_on, today, settings.base_rates, consumer=customer.consumer
            )
            lump_sum = LUMP_SUM_CENTS if settings.lump_sum and not customer.consumer else 0
        by_customer[row.customer_id].append(
            ProposedItem(
                invoice_id=row.id,
                number=row.number,
                issued_on=row.issued_on,
                due_on=row.due_on,
                days_overdue=(today - row.due_on).days,
                open_cents=open_cents,
                level=level.number,
                previous_level=previous,
                interest_cents=interest,
                lump_sum_cents=lump_sum,
                charges_cents=charges.get(row.id, 0),
            )
        )
    unallocated = _unallocated_credits(session, set(by_customer))
    letters = []
    for customer_id, items in by_customer.items():
        customer = customers[customer_id]
        top = max(item.level for item in items)
        letters.append(
            ProposedLetter(
                customer_id=customer_id,
                customer_number=customer.number,
                customer_name=customer.name,
                customer_address=customer.address,
                consumer=customer.consumer,
                level=top,
                items=tuple(sorted(items, key=lambda item: (item.due_on, item.number))),
                fee_cents=settings.level(top).fee_cents,
                held=unallocated.get(customer_id, ""),
            )
        )
    return sorted(letters, key=lambda letter: (letter.customer_name.casefold(), letter.customer_number))


def _sent_levels(session: Session) -> dict[int, tuple[int, date]]:
    """invoice id -> (highest level sent, date of the run that sent it)."""
    query = (
        select(DunningItem.invoice_id, func.max(DunningItem.level), func.max(DunningRun.run_on))
        .join(DunningLetter, DunningLetter.id == DunningItem.letter_id)
        .join(DunningRun, DunningRun.id == DunningLetter.run_id)
        .where(DunningRun.status == DunningRunStatus.SENT)
        .group_by(DunningItem.invoice_id)
    )
    return {invoice_id: (level, run_on) for invoice_id, level, run_on in session.execute(query)}


def _charges(session: Session) -> dict[int, int]:
    """invoice id -> what the customer owes beyond it (return fees)."""
    query = select(InvoiceCharge.invoice_id, func.sum(InvoiceCharge.amount_cents)).group_by(InvoiceCharge.invoice_id)
    return {invoice_id: int(cents) for invoice_id, cents in session.execute(query)}


def _holds(session: Session, today: date) -> tuple[set[int], set[int]]:
    """Invoices and customers on hold today: blocked, or promised to pay by a date not yet passed."""
    active = select(DunningHold).where(or_(DunningHold.until.is_(None), DunningHold.until >= today))
    invoices, customers = set(), set()
    for hold in session.scalars(active):
        if hold.invoice_id is not None:
            invoices.add(hold.invoice_id)
        if hold.customer_id is not None:
            customers.add(hold.customer_id)
    return invoices, customers


def _unallocated_credits(session: Session, customer_ids: set[int]) -> dict[int, str]:
    """customer id -> what speaks against a letter: an incoming payment from their account not yet allocated."""
    if not customer_ids:
        return {}
    ibans: dict[str, int] = {}
    for customer in session.scalars(select(Customer).where(Customer.id.in_(customer_ids))):
        if customer.iban:
            ibans[customer.iban] = customer.id
    learned = select(LearnedPayer).where(LearnedPayer.key_kind == "iban", LearnedPayer.customer_id.in_(customer_ids))
    for payer in session.scalars(learned):
        ibans[payer.key] = payer.customer_id
    if not ibans:
        return {}
    credits = select(Transaction).where(
        Transaction.amount_cents > 0,
        Transaction.status == BookingStatus.BOOKED,
        Transaction.reconciliation.in_([Reconciliation.OPEN, Reconciliation.PARTIAL]),
        Transaction.counterparty_iban.in_(list(ibans)),
    )
    found: dict[int, str] = {}
    for tx in session.scalars(credits.order_by(Transaction.booked_on.desc())):
        customer_id = ibans[tx.counterparty_iban]
        found.setdefault(
            customer_id,
            _("a payment of {amount} on {day} is not allocated yet").format(
                amount=format_cents(tx.amount_cents), day=format_date(tx.booked_on)
            ),
        )
    return found
