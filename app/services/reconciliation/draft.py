"""The Map dialog's working state without Qt: the payment as it stands, and the amounts the bookkeeper is choosing.

`payment_to_map` reads one booking with its allocations (blocks; call it from a worker). `AllocationDraft` does the
arithmetic the dialog shows live (default amounts, what is left), so the view only displays numbers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.banking import BookingStatus, Reconciliation
from app.models.schema import Allocation, Customer, CustomerCredit, Invoice, LearnedPayer, Transaction
from app.services.i18n import _
from app.services.invoices.importing import PAYABLE, RECEIVABLE
from app.services.ledger.database import Ledger
from app.services.reconciliation.allocations import Suggestion
from app.services.reconciliation.booking import ReconciliationError

ZERO = Decimal("0.00")


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


@dataclass(frozen=True, slots=True)
class BookedPart:
    """An allocation already on the payment, listed so the bookkeeper sees what Undo takes back."""

    allocation_id: int
    invoice_number: str
    amount: Decimal
    discount: Decimal
    method: str


@dataclass(frozen=True, slots=True)
class PaymentToMap:
    """One booking as the Map dialog needs it; `amount` is signed (credits positive)."""

    transaction_id: int
    booked_on: date
    amount: Decimal
    currency: str
    counterparty_name: str
    counterparty_iban: str
    purpose: str
    status: str
    reconciliation: str
    note: str
    is_return: bool
    allocated: Decimal  # by invoices and held as credit
    parts: tuple[BookedPart, ...]
    credit: Decimal = ZERO  # held for `credit_customer` (a double payment)
    credit_customer: str = ""
    payer_customer: str = ""  # the customer the paying account is known for (master data or learned), if any

    @property
    def kind(self) -> str:
        """Credits settle receivables, debits payables."""
        return RECEIVABLE if self.amount > 0 else PAYABLE

    @property
    def unallocated(self) -> Decimal:
        return abs(self.amount) - self.allocated

    @property
    def can_allocate(self) -> bool:
        return (
            self.status == BookingStatus.BOOKED
            and not self.is_return
            and self.reconciliation != Reconciliation.IGNORED
            and self.unallocated > 0
        )

    @property
    def to_allocate(self) -> Decimal:
        """What the Map dialog may still book: nothing for a pending, returned or ignored payment."""
        return self.unallocated if self.can_allocate else ZERO

    @property
    def can_ignore(self) -> bool:
        return self.status == BookingStatus.BOOKED and not self.parts and self.reconciliation != Reconciliation.IGNORED

    @property
    def can_undo(self) -> bool:
        return (
            bool(self.parts)
            or self.credit > 0
            or (self.reconciliation == Reconciliation.IGNORED and not self.is_return)
        )


def payment_to_map(ledger: Ledger, transaction_id: int) -> PaymentToMap:
    """The booking and its allocations. Blocks; call from a worker."""
    with ledger.session() as session:
        tx = session.get(Transaction, transaction_id)
        if tx is None:
            raise ReconciliationError(_("No transaction {id}").format(id=transaction_id))
        returned = session.scalar(select(Transaction.id).where(Transaction.return_of_id == tx.id).limit(1))
        parts = tuple(
            BookedPart(allocation_id, number, _money(cents), _money(discount), method)
            for allocation_id, number, cents, discount, method in session.execute(
                select(
                    Allocation.id, Invoice.number, Allocation.amount_cents, Allocation.discount_cents, Allocation.method
                )
                .join(Invoice, Invoice.id == Allocation.invoice_id)
                .where(Allocation.transaction_id == tx.id)
                .order_by(Allocation.id)
            )
        )
        credits = session.execute(
            select(Customer.name, CustomerCredit.amount_cents, CustomerCredit.original_cents)
            .join(Customer, Customer.id == CustomerCredit.customer_id)
            .where(CustomerCredit.transaction_id == tx.id)
        ).all()
        held = _money(sum(left for _name, left, _original in credits))  # the used part is among the allocations
        payer = _payer_customer(session, tx.counterparty_iban)
        return PaymentToMap(
            transaction_id=tx.id,
            booked_on=tx.booked_on,
            amount=_money(tx.amount_cents),
            currency=tx.currency,
            counterparty_name=tx.counterparty_name,
            counterparty_iban=tx.counterparty_iban,
            purpose=" ".join(tx.purpose.split()),
            status=tx.status,
            reconciliation=tx.reconciliation,
            note=tx.reconciliation_note,
            is_return=bool(tx.return_reason) or returned is not None,
            allocated=sum((part.amount for part in parts), ZERO) + held,
            parts=parts,
            credit=_money(sum(original for _name, _left, original in credits)),
            credit_customer=", ".join(sorted({name for name, _left, _original in credits})),
            payer_customer=payer,
        )


def _payer_customer(session: Session, iban: str) -> str:
    """The one customer an IBAN belongs to, by master data or what the bookkeeper taught; '' when none or several."""
    iban = iban.replace(" ", "").upper()
    if not iban:
        return ""
    names = set(session.scalars(select(Customer.name).where(Customer.iban == iban)))
    names |= set(
        session.scalars(
            select(Customer.name)
            .join(LearnedPayer, LearnedPayer.customer_id == Customer.id)
            .where(LearnedPayer.key_kind == "iban", LearnedPayer.key == iban)
        )
    )
    return names.pop() if len(names) == 1 else ""


@dataclass(frozen=True, slots=True)
class DraftLine:
    """One invoice the payment is about to be booked on."""

    invoice_id: int
    invoice_number: str
    customer_name: str
    open_amount: Decimal
    amount: Decimal
    discount: Decimal = ZERO


class AllocationDraft:
    """The allocation table of the Map dialog: lines, their amounts and what is left of the payment."""

    def __init__(self, available: Decimal = ZERO) -> None:
        self.available = available
        self.lines: list[DraftLine] = []
        self._suggestion: Suggestion | None = None

    def remaining(self) -> Decimal:
        return self.available - sum((line.amount for line in self.lines), ZERO)

    def allocated(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    def default_amount(self, open_amount: Decimal) -> Decimal:
        """What a newly added invoice gets: its open amount, at most what is left of the payment."""
        return max(ZERO, min(open_amount, self.remaining()))

    def index_of(self, invoice_id: int) -> int | None:
        return next((index for index, line in enumerate(self.lines) if line.invoice_id == invoice_id), None)

    def add(self, *, invoice_id: int, invoice_number: str, customer_name: str, open_amount: Decimal) -> int:
        """Add an invoice with the default amount; an invoice already listed is not added twice. Returns its index."""
        existing = self.index_of(invoice_id)
        if existing is not None:
            return existing
        self.lines.append(
            DraftLine(invoice_id, invoice_number, customer_name, open_amount, self.default_amount(open_amount))
        )
        return len(self.lines) - 1

    def fill(self, suggestion: Suggestion) -> None:
        """Replace the lines with a suggestion's invoices and amounts."""
        self._suggestion = suggestion
        self.lines = [
            DraftLine(part.invoice_id, part.invoice_number, part.customer_name, part.open_amount, part.amount,
                      part.discount)
            for part in suggestion.allocations
        ]  # fmt: skip

    def set_amount(self, index: int, amount: Decimal) -> None:
        self.lines[index] = replace(self.lines[index], amount=amount)

    def set_discount(self, index: int, discount: Decimal) -> None:
        self.lines[index] = replace(self.lines[index], discount=discount)

    def remove(self, index: int) -> None:
        del self.lines[index]

    def clear(self) -> None:
        self.lines = []

    def allocations(self) -> list[tuple[int, Decimal, Decimal]]:
        """The argument of `allocate_manually`."""
        return [(line.invoice_id, line.amount, line.discount) for line in self.lines]

    def taken_suggestion(self) -> Suggestion | None:
        """The suggestion the lines came from, while they are still exactly it (an edit makes them the user's own)."""
        suggestion = self._suggestion
        if suggestion is None:
            return None
        offered = [(part.invoice_id, part.amount, part.discount) for part in suggestion.allocations]
        return suggestion if offered == self.allocations() else None
