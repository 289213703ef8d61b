"""Double payments and credits: a payment that names an invoice paid already, and money held for the customer.

`paid_references` finds the invoices a payment's text names that are settled already, with who paid them and
when: the key fact for a double payment, which no suggestion shows (a paid invoice is no candidate). The rest of
such a payment can be held as the customer's credit (`record_credit`), which a later invoice of theirs uses
(`use_credit`) as an allocation of the same payment; or refunded (`payments.refunds`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.banking import BookingStatus, Reconciliation
from app.models.schema import Allocation, Customer, CustomerCredit, Invoice, Transaction
from app.services.formatting import format_amount, format_cents, format_date, from_cents
from app.services.i18n import _
from app.services.invoices.importing import PAYABLE, RECEIVABLE
from app.services.invoices.open_items import allocated_cents, open_cents_of
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.reconciliation.booking import (
    ReconciliationError,
    allocated_on_transaction,
    get_transaction,
    set_reconciliation_state,
)

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9./_-]*[A-Za-z0-9]")


@dataclass(frozen=True, slots=True)
class EarlierPayment:
    transaction_id: int
    booked_on: date
    payer: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PaidReference:
    """An invoice the payment names that nothing is open on any more, and the payments that settled it."""

    invoice_id: int
    number: str
    customer_id: int
    customer_name: str
    amount: Decimal
    payments: tuple[EarlierPayment, ...]

    def text(self) -> str:
        if not self.payments:
            return _("{number} of {customer} is settled already.").format(
                number=self.number, customer=self.customer_name
            )
        first = self.payments[0]
        return _("{number} of {customer} is already paid: {amount} by {payer} on {date}.").format(
            number=self.number,
            customer=self.customer_name,
            amount=format_amount(first.amount),
            payer=first.payer or _("(no name)"),
            date=format_date(first.booked_on),
        )


def paid_references(ledger: Ledger, transaction_id: int) -> list[PaidReference]:
    """The settled invoices (of the payment's side) whose number appears in its text."""
    with ledger.session() as session:
        tx = get_transaction(session, transaction_id)
        words = {token.upper() for token in _TOKEN.findall(f"{tx.purpose} {tx.end_to_end_id}")}
        if not words:
            return []
        kind = RECEIVABLE if tx.amount_cents > 0 else PAYABLE
        settled = allocated_cents().subquery()
        rows = session.execute(
            select(Invoice, Customer.name, func.coalesce(settled.c.cents, 0))
            .join(Customer, Customer.id == Invoice.customer_id)
            .outerjoin(settled, settled.c.invoice_id == Invoice.id)
            .where(Invoice.kind == kind, func.upper(Invoice.number).in_(sorted(words)), Invoice.cancelled.is_(False))
        ).all()
        found = []
        for invoice, customer_name, paid in rows:
            if open_cents_of(invoice.amount_cents, paid, invoice.reported_open_cents) > 0:
                continue
            earlier = tuple(
                EarlierPayment(tx_id, booked_on, payer, from_cents(cents))
                for tx_id, booked_on, payer, cents in session.execute(
                    select(
                        Transaction.id, Transaction.booked_on, Transaction.counterparty_name, Allocation.amount_cents
                    )
                    .join(Allocation, Allocation.transaction_id == Transaction.id)
                    .where(Allocation.invoice_id == invoice.id, Transaction.id != tx.id)
                    .order_by(Transaction.booked_on)
                )
            )
            found.append(
                PaidReference(
                    invoice.id,
                    invoice.number,
                    invoice.customer_id,
                    customer_name,
                    from_cents(invoice.amount_cents),
                    earlier,
                )  # fmt: skip
            )
        return found


def record_credit(ledger: Ledger, transaction_id: int, customer_id: int, *, actor: str) -> Decimal:
    """Hold what is left of a payment for the customer; the payment is then settled. Returns the credit."""
    with ledger.writer() as session:
        tx = get_transaction(session, transaction_id)
        if tx.amount_cents <= 0 or tx.status != BookingStatus.BOOKED or tx.return_reason:
            raise ReconciliationError(_("Only a booked incoming payment can become a customer's credit."))
        if tx.reconciliation == Reconciliation.IGNORED:
            raise ReconciliationError(_("This transaction is a return or marked as ignored."))
        rest = tx.amount_cents - allocated_on_transaction(session, tx.id)
        if rest <= 0:
            raise ReconciliationError(_("Nothing of this payment is left to hold as credit."))
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise ReconciliationError(_("No customer {id}").format(id=customer_id))
        credit = CustomerCredit(
            customer_id=customer.id, transaction_id=tx.id, amount_cents=rest, original_cents=rest, created_by=actor
        )
        session.add(credit)
        session.flush()
        summary = f"credit {format_cents(rest)} for {customer.name} from transaction {tx.id}"
        audit.record_row(session, actor=actor, action="create", row=credit, summary=summary)
        tx.reconciliation_note = _("credit for {customer}").format(customer=customer.name)[:200]
        set_reconciliation_state(session, tx)
        return from_cents(rest)


def credit_of(session: Session, customer_id: int) -> int:
    """The customer's credit still to be used, in cents."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(CustomerCredit.amount_cents), 0)).where(
                CustomerCredit.customer_id == customer_id
            )
        )
        or 0
    )


def use_credit(ledger: Ledger, invoice_id: int, *, actor: str) -> Decimal:
    """Settle an open receivable from its customer's credit, oldest credit first; returns the amount used."""
    with ledger.writer() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.kind != RECEIVABLE:
            raise ReconciliationError(_("No receivable {id}").format(id=invoice_id))
        paid = session.execute(allocated_cents().where(Allocation.invoice_id == invoice.id)).first()
        due = open_cents_of(invoice.amount_cents, paid.cents if paid else 0, invoice.reported_open_cents)
        credits = list(
            session.scalars(
                select(CustomerCredit)
                .where(CustomerCredit.customer_id == invoice.customer_id, CustomerCredit.amount_cents > 0)
                .order_by(CustomerCredit.id)
            )
        )
        if due <= 0 or not credits:
            raise ReconciliationError(
                _("Invoice {number} has nothing open or its customer no credit.").format(number=invoice.number)
            )
        used = 0
        for credit in credits:
            cents = min(credit.amount_cents, due - used)
            if cents <= 0:
                break
            credit.amount_cents -= cents
            allocation = Allocation(transaction_id=credit.transaction_id, invoice_id=invoice.id, amount_cents=cents,
                                    method="manual", created_by=actor)  # fmt: skip
            session.add(allocation)
            session.flush()
            audit.record_row(session, actor=actor, action="update", row=credit,
                             summary=f"credit used for {invoice.number}")  # fmt: skip
            audit.record_row(session, actor=actor, action="create", row=allocation,
                             summary=f"{invoice.number} paid from credit {format_cents(cents)}")  # fmt: skip
            used += cents
        return from_cents(used)


def remove_credits(session: Session, tx: Transaction, *, actor: str) -> int:
    """Undo: the credits held from this payment go (their used parts are allocations, undone with the others)."""
    credits = list(session.scalars(select(CustomerCredit).where(CustomerCredit.transaction_id == tx.id)))
    for credit in credits:
        audit.record_row(session, actor=actor, action="delete", row=credit, summary=f"credit of transaction {tx.id}")
        session.delete(credit)
    session.flush()
    return len(credits)
