"""The Map dialog's side of the ledger: suggestions and why not automatic, manual allocation, ignore, undo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.banking import BookingStatus, Reconciliation
from app.models.schema import (
    Allocation,
    Invoice,
    Transaction,
)
from app.services.formatting import format_amount, from_cents, to_cents
from app.services.i18n import _
from app.services.invoices.customers import remember_payer
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.matching import (
    PAYABLE,
    RECEIVABLE,
    Matcher,
    Proposal,
    learn,
)
from app.services.matching import Invoice as MatchInvoice
from app.services.reconciliation.booking import (
    ReconciliationError,
    allocated_on_transaction,
    book,
    get_transaction,
    remove_allocation,
    set_reconciliation_state,
)
from app.services.reconciliation.credits import remove_credits
from app.services.reconciliation.engine_input import engine_invoices, engine_payment, payer_knowledge
from app.services.reconciliation.matcher_cache import cached_matcher, generations_of


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


def suggestions(ledger: Ledger, transaction_id: int, limit: int = 10) -> list[Suggestion]:
    """Ranked proposals with their reasons for what is still unallocated of one payment."""
    generations = generations_of(ledger)
    with ledger.session() as session:
        tx = get_transaction(session, transaction_id)
        remaining = abs(tx.amount_cents) - allocated_on_transaction(session, tx.id)
        if remaining <= 0 or tx.status != BookingStatus.BOOKED:
            return []
        payment = engine_payment(tx, remaining if tx.amount_cents > 0 else -remaining)
        with cached_matcher(session, changes=False, generations=generations) as matcher:
            return [_suggestion(proposal, matcher) for proposal in matcher.suggest(payment, limit=limit)]


def why_not_automatic(ledger: Ledger, transaction_id: int) -> str:
    """Why a payment with something left to allocate was not assigned automatically, in one sentence.

    The batch engine's own answer (the rival reading, or what the evidence lacks), not the wider search of
    the suggestions; empty when nothing is left to allocate.
    """
    generations = generations_of(ledger)
    with ledger.session() as session:
        tx = get_transaction(session, transaction_id)
        remaining = abs(tx.amount_cents) - allocated_on_transaction(session, tx.id)
        if remaining <= 0 or tx.status != BookingStatus.BOOKED or tx.reconciliation == Reconciliation.IGNORED:
            return ""
        if tx.manual_only:
            return _("an automatic assignment of this payment was undone, so matching leaves it to a person")
        if remaining != abs(tx.amount_cents):
            return _("part of this payment was assigned by hand, so matching leaves the rest to a person")
        with cached_matcher(session, changes=False, generations=generations) as matcher:
            result = matcher.match(engine_payment(tx))
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


def allocate_manually(
    ledger: Ledger,
    transaction_id: int,
    allocations: Sequence[tuple[int, Decimal] | tuple[int, Decimal, Decimal]],
    *,
    actor: str,
    suggestion: Suggestion | None = None,
) -> list[int]:
    """Book a payment on invoices the bookkeeper chose, and learn the payer for the next time.

    Each item is (invoice id, amount) or (invoice id, amount, discount written off). The amounts may not exceed
    what is left of the payment, nor what is open on each invoice. When the items are exactly `suggestion`'s,
    the allocations are recorded as a suggestion the bookkeeper accepted, with its score; otherwise as chosen
    by hand. Returns the new allocation ids.
    """
    if not allocations:
        raise ReconciliationError(_("Choose at least one invoice."))
    with ledger.writer() as session:
        tx = get_transaction(session, transaction_id)
        if tx.status != BookingStatus.BOOKED:
            raise ReconciliationError(_("Only booked transactions can be allocated."))
        if tx.return_reason or tx.reconciliation == Reconciliation.IGNORED:
            raise ReconciliationError(_("This transaction is a return or marked as ignored."))
        invoices = {invoice.id: invoice for invoice in engine_invoices(session, [item[0] for item in allocations])}
        side = RECEIVABLE if tx.amount_cents > 0 else PAYABLE
        wanted: dict[int, list[int]] = {}
        for item in allocations:
            invoice_id, amount = item[0], item[1]
            discount: Decimal = item[2] if len(item) > 2 else Decimal(0)
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
        remaining = abs(tx.amount_cents) - allocated_on_transaction(session, tx.id)
        total = sum(cents for cents, _discount in wanted.values())
        if total > remaining:
            raise ReconciliationError(
                _("The allocations add up to {total}, but only {left} of the payment is left.").format(
                    total=format_amount(from_cents(total)), left=format_amount(from_cents(remaining))
                )
            )
        for invoice_id, (cents, discount_cents) in wanted.items():
            invoice = invoices[invoice_id]
            if cents + discount_cents > to_cents(invoice.open_amount):
                raise ReconciliationError(
                    _("{number}: {amount} is more than the open {open}.").format(
                        number=invoice.number,
                        amount=format_amount(from_cents(cents + discount_cents)),
                        open=format_amount(invoice.open_amount),
                    )
                )
        parts = [(invoices[invoice_id], cents, discount) for invoice_id, (cents, discount) in wanted.items()]
        taken = suggestion is not None and _same_as(wanted, suggestion)
        method, confidence = ("suggested", suggestion.score) if taken and suggestion else ("manual", 1.0)
        rows = book(session, tx, parts, method=method, confidence=confidence, actor=actor)
        _learn(session, tx, [invoices[invoice_id] for invoice_id in wanted], actor=actor)
        return [row.id for row in rows]


def _same_as(wanted: dict[int, list[int]], suggestion: Suggestion) -> bool:
    """Whether the bookkeeper booked the suggestion as it was offered: the same invoices, amounts and discounts."""
    offered = {part.invoice_id: [to_cents(part.amount), to_cents(part.discount)] for part in suggestion.allocations}
    return offered == wanted


def _learn(session: Session, tx: Transaction, invoices: Sequence[MatchInvoice], *, actor: str) -> None:
    """Store what the engine's `learn` adds or changes, as audited rows."""
    before = payer_knowledge(session)
    after = learn(before, payment=engine_payment(tx), invoices=invoices)
    for kind, old, new in (
        ("iban", before.customer_by_iban, after.customer_by_iban),
        ("name", before.customer_by_name, after.customer_by_name),
    ):
        for key, customer_id in new.items():
            if old.get(key) != customer_id:
                remember_payer(session, kind, key, customer_id, source="manual", actor=actor)


def ignore_payment(ledger: Ledger, transaction_id: int, reason: str, *, actor: str) -> None:
    """'No invoice' (a tax refund, interest, a transfer between own accounts): out of matching for good."""
    with ledger.writer() as session:
        tx = get_transaction(session, transaction_id)
        if allocated_on_transaction(session, tx.id):
            raise ReconciliationError(_("Undo the allocations of this transaction first."))
        tx.reconciliation = Reconciliation.IGNORED
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
    with ledger.writer() as session:
        if allocation_id is not None:
            allocation = session.get(Allocation, allocation_id)
            if allocation is None:
                raise ReconciliationError(_("No allocation {id}").format(id=allocation_id))
            allocations = [allocation]
            tx = get_transaction(session, allocation.transaction_id)
        else:
            assert transaction_id is not None
            tx = get_transaction(session, transaction_id)
            allocations = list(session.scalars(select(Allocation).where(Allocation.transaction_id == tx.id)))
            remove_credits(session, tx, actor=actor)
            if (
                tx.reconciliation == Reconciliation.IGNORED
                and not tx.return_reason
                and tx.id not in _returned(session, [tx.id])
            ):
                tx.reconciliation, tx.reconciliation_note = Reconciliation.OPEN, ""
                audit.record_row(session, actor=actor, action="unignore", row=tx, summary="undo")
        _remove(session, tx, allocations, actor=actor)
        return len(allocations)


def _remove(session: Session, tx: Transaction, allocations: Sequence[Allocation], *, actor: str) -> list[str]:
    """Take allocations off a payment, audited; returns their invoice numbers."""
    numbers = []
    for allocation in allocations:
        invoice = session.get(Invoice, allocation.invoice_id)
        number = invoice.number if invoice else str(allocation.invoice_id)
        if allocation.method == "auto":
            tx.manual_only = True
        remove_allocation(session, allocation, actor=actor, summary=f"undo {number} ({allocation.method})")
        numbers.append(number)
    if allocations:
        tx.reconciliation_note = _("allocation undone")
    set_reconciliation_state(session, tx)
    return numbers


@dataclass(frozen=True, slots=True)
class UndoneAllocation:
    """What Edit › Undo took back, for the status bar."""

    transaction_id: int
    counterparty_name: str
    invoice_numbers: tuple[str, ...]
    amount: Decimal


def undo_last_allocation(ledger: Ledger, *, actor: str) -> UndoneAllocation | None:
    """Undo what `actor` last booked in Map: every allocation they made on the payment they allocated last.

    Automatic allocations and other people's are left alone (Map's Undo takes those back one payment at a
    time); None when the actor has nothing left to undo.
    """
    with ledger.writer() as session:
        last = session.scalar(
            select(Allocation)
            .where(Allocation.created_by == actor, Allocation.method != "auto")
            .order_by(Allocation.id.desc())
            .limit(1)
        )
        if last is None:
            return None
        tx = get_transaction(session, last.transaction_id)
        allocations = list(
            session.scalars(
                select(Allocation).where(
                    Allocation.transaction_id == tx.id, Allocation.created_by == actor, Allocation.method != "auto"
                )
            )
        )
        amount = from_cents(sum(allocation.amount_cents for allocation in allocations))
        remove_credits(session, tx, actor=actor)  # a credit's used part is among these: the payment reopens whole
        numbers = _remove(session, tx, allocations, actor=actor)
        return UndoneAllocation(tx.id, tx.counterparty_name, tuple(numbers), amount)


def _returned(session: Session, ids: Sequence[int]) -> set[int]:
    return set(session.scalars(select(Transaction.return_of_id).where(Transaction.return_of_id.in_(list(ids)))))


def clear_review(ledger: Ledger, invoice_id: int, *, actor: str) -> None:
    """The bookkeeper checked a changed invoice against its allocations."""
    with ledger.writer() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            raise ReconciliationError(_("No invoice {id}").format(id=invoice_id))
        invoice.needs_review, invoice.review_note = False, ""
        audit.record_row(session, actor=actor, action="review", row=invoice, summary=f"{invoice.number} reviewed")
