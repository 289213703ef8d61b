"""Automatic matching: book what is certain, count what needs a person; after imports and on demand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.banking import Reconciliation
from app.models.schema import (
    Allocation,
    Invoice,
    InvoiceCharge,
    Notification,
    Transaction,
)
from app.services.formatting import format_amount, format_count, from_cents, to_cents
from app.services.gc_pause import collector_paused
from app.services.i18n import _
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.dialects import id_chunks
from app.services.matching import Invoice as MatchInvoice
from app.services.matching import Matcher, Payment
from app.services.reconciliation.booking import AutoBooking, book_automatic, remove_allocation
from app.services.reconciliation.engine_input import matchable
from app.services.reconciliation.matcher_cache import cached_matcher, generations_of
from app.services.reconciliation.no_invoice import settle_known

if TYPE_CHECKING:  # matching alone loads neither the statement nor the invoice importers
    from app.services.statements.importing import AfterImport


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
    currency: str = "EUR"


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
            auto=format_count(self.auto), suggested=format_count(self.suggested), open=format_count(self.open)
        )


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
    conditions = [*matchable(), Transaction.manual_only.is_(False)]
    transactions: dict[int, Any] = {}
    if transaction_ids is None:
        query = select(*_PAYMENT_COLUMNS).where(*conditions).order_by(Transaction.id)
        transactions.update((tx.id, tx) for tx in session.execute(query))
    else:
        for chunk in id_chunks(list(transaction_ids)):
            query = select(*_PAYMENT_COLUMNS).where(Transaction.id.in_(chunk), *conditions)
            transactions.update((tx.id, tx) for tx in session.execute(query))
    ids = list(transactions)
    if not ids:
        return summary
    payments = [
        Payment(id, booked_on, from_cents(cents), name, iban, purpose, end_to_end_id, currency)
        for id, booked_on, cents, name, iban, purpose, end_to_end_id, currency in (transactions[i] for i in ids)
    ]
    summary.payments = len(payments)
    parts: list[tuple[Any, MatchInvoice, int, int, float]] = []  # payment row, invoice, cents, discount, score
    with cached_matcher(session, changes=True, booked=not dry_run, generations=generations) as matcher:
        results = matcher.match_all(payments)
        for result in results:
            best = result.best
            if result.status == "auto" and best is not None:
                summary.auto += 1
                tx = transactions[result.payment_id]
                for allocation in best.allocations:
                    invoice = matcher.invoice(allocation.invoice_id)
                    cents, discount = to_cents(allocation.amount), to_cents(allocation.discount)
                    parts.append((tx, invoice, cents, discount, best.score))
                    summary.allocations.append(
                        BookedAllocation(
                            transaction_id=tx.id,
                            invoice_id=invoice.id,
                            invoice_number=invoice.number,
                            payer=tx.counterparty_name,
                            amount=allocation.amount,
                            discount=allocation.discount,
                            confidence=best.score,
                            currency=invoice.currency,
                        )
                    )
            elif result.status == "suggested":
                summary.suggested += 1
            else:
                summary.open += 1
        if dry_run:
            return summary
        if parts:
            book_automatic(session, _bookings(parts, matcher), actor=actor)
        if summary.auto:
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


def _bookings(parts: list[tuple[Any, MatchInvoice, int, int, float]], matcher: Matcher) -> list[AutoBooking]:
    """The run's allocations with what each invoice keeps open after each of them, for the notifications.

    Counted back from what the run left open, so that only the booked invoices are read, not every open one.
    """
    left: dict[int, int] = {}
    bookings = []
    for tx, invoice, cents, discount, score in reversed(parts):
        open_after = left.get(invoice.id)
        if open_after is None:
            open_after = to_cents(matcher.open_amount(invoice.id))
        bookings.append(AutoBooking(tx, invoice, cents, discount, score, open_after))
        left[invoice.id] = open_after + cents + discount
    bookings.reverse()
    return bookings


def match_payments(
    ledger: Ledger, *, actor: str, dry_run: bool = False, transaction_ids: Sequence[int] | None = None
) -> MatchSummary:
    """Book what is certain, count what needs a person; only the given payments when `transaction_ids` is set."""
    generations = generations_of(ledger)
    with collector_paused(), ledger.writer() as session:
        return _run(session, actor=actor, transaction_ids=transaction_ids, dry_run=dry_run, generations=generations)


def match_new_transactions(session: Session, transaction_ids: Sequence[int], *, actor: str) -> MatchSummary:
    """For statement import and bank sync: match just-imported bookings in the caller's transaction."""
    with collector_paused():  # a full collection walks the kept matcher's objects: longer than a day's payments
        return _run(session, actor=actor, transaction_ids=transaction_ids, dry_run=False)


def after_statement_import(actor: str) -> AfterImport:
    """The `after_import` hook of `import_statement_files`: transfers between own accounts and bookings a
    no-invoice rule covers are marked, then every new booking is matched automatically.

    Skipped while the ledger has no invoice: there is nothing to match, and a first import of years of statements
    should not wait for the engine.
    """

    def hook(ledger: Ledger, transaction_ids: list[int]) -> None:
        with ledger.writer() as session:
            settle_known(session, transaction_ids, actor=actor)  # own-account transfers and rules, first
        with ledger.session() as session:
            if not session.scalar(select(select(Invoice.id).where(Invoice.cancelled.is_(False)).exists())):
                return
        match_payments(ledger, actor=actor, transaction_ids=transaction_ids)

    return hook


def _charge_return_fee(
    session: Session, back: Transaction, original: Transaction, allocations: Sequence[Allocation], *, actor: str
) -> None:
    """A return larger than the payment carries the bank's fee: the customer owes it with the largest invoice."""
    fee = abs(back.amount_cents) - abs(original.amount_cents)
    if fee <= 0 or not allocations:
        return
    invoice_id = max(allocations, key=lambda allocation: allocation.amount_cents).invoice_id
    charge = InvoiceCharge(invoice_id=invoice_id, kind="return_fee", amount_cents=fee, transaction_id=back.id)
    session.add(charge)
    audit.record_row(session, actor=actor, action="create", row=charge, summary=f"return fee {from_cents(fee)}")


def _settle_returns(session: Session, *, actor: str, transaction_ids: Sequence[int] | None) -> int:
    """A return cancels its original payment: the original's allocations go, its invoices open again."""
    query = select(Transaction).where(
        Transaction.return_of_id.is_not(None), Transaction.reconciliation == Reconciliation.OPEN
    )
    if transaction_ids is not None:
        query = query.where(Transaction.id.in_(list(transaction_ids)))
    count = 0
    for back in session.scalars(query).all():
        original = session.get(Transaction, back.return_of_id)
        if original is None:
            continue
        allocations = session.scalars(select(Allocation).where(Allocation.transaction_id == original.id)).all()
        _charge_return_fee(session, back, original, allocations, actor=actor)
        for allocation in allocations:
            invoice = session.get(Invoice, allocation.invoice_id)
            number = invoice.number if invoice else str(allocation.invoice_id)
            remove_allocation(
                session, allocation, actor=actor, summary=f"{number}: payment returned ({back.return_reason})"
            )
            session.add(
                Notification(
                    kind="reopened",
                    message=_("Invoice {number} is open again: the payment of {amount} was returned ({code})").format(
                        number=number,
                        amount=format_amount(from_cents(allocation.amount_cents)),
                        code=back.return_reason,
                    ),
                )
            )
            count += 1
        original.reconciliation = back.reconciliation = Reconciliation.IGNORED
        original.reconciliation_note = _("returned")
        back.reconciliation_note = _("return of booking {id}").format(id=original.id)
    return count
