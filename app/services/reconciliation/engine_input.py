"""What the matching engine reads from the ledger: open invoices, customers, learned payers, settings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.banking import BookingStatus, Reconciliation
from app.models.schema import (
    Allocation,
    Customer,
    Invoice,
    LearnedPayer,
    Transaction,
)
from app.services.formatting import from_cents
from app.services.invoices.open_items import allocated_cents, open_cents_of
from app.services.ledger.database import Ledger
from app.services.ledger.settings import read_section, write_section
from app.services.matching import Customer as MatchCustomer
from app.services.matching import Invoice as MatchInvoice
from app.services.matching import (
    MatchConfig,
    Matcher,
    PayerKnowledge,
    Payment,
    detect_patterns,
)

CONFIG_KEY = "matching"


def payer_knowledge(session: Session) -> PayerKnowledge:
    knowledge = PayerKnowledge()
    for kind, key, customer_id in session.execute(
        select(LearnedPayer.key_kind, LearnedPayer.key, LearnedPayer.customer_id).order_by(LearnedPayer.id)
    ):
        (knowledge.customer_by_iban if kind == "iban" else knowledge.customer_by_name)[key] = customer_id
    return knowledge


def engine_invoices_with_figures(
    session: Session, ids: Iterable[int] | None = None
) -> tuple[list[MatchInvoice], dict[int, tuple[int, int | None]]]:
    """`engine_invoices`, with each invoice's (amount, reported open) cents for syncing a kept matcher later.

    Allocated sums come from their own grouped query: joining them to 50k invoices costs more than a dict.
    """
    query = (
        select(
            Invoice.id,
            Invoice.number,
            Invoice.customer_id,
            Customer.name,
            Invoice.kind,
            Invoice.issued_on,
            Invoice.due_on,
            Invoice.amount_cents,
            Invoice.reported_open_cents,
            Invoice.currency,
        )
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.cancelled.is_(False))
    )
    allocated_query = allocated_cents()
    if ids is not None:
        wanted = list(ids)
        query = query.where(Invoice.id.in_(wanted))
        allocated_query = allocated_query.where(Allocation.invoice_id.in_(wanted))
    allocated = {invoice_id: cents for invoice_id, cents in session.execute(allocated_query)}
    invoices, figures = [], {}
    for id, number, customer_id, name, kind, issued_on, due_on, amount_cents, reported, currency in session.execute(
        query
    ):
        open_cents = open_cents_of(amount_cents, allocated.get(id, 0), reported)
        invoices.append(
            MatchInvoice(
                id,
                number,
                customer_id,
                name,
                kind,
                issued_on,
                due_on,
                from_cents(amount_cents),
                from_cents(open_cents),
                currency,
            )  # fmt: skip
        )
        figures[id] = (amount_cents, reported)
    return invoices, figures


def engine_invoices(session: Session, ids: Iterable[int] | None = None) -> list[MatchInvoice]:
    """The invoices (all, or those of `ids`) that are not cancelled, as the engine reads them."""
    return engine_invoices_with_figures(session, ids)[0]


def build_matcher(session: Session, invoices: Sequence[MatchInvoice], config: MatchConfig | None = None) -> Matcher:
    customers = [
        MatchCustomer(id, number, name, (iban,) if iban else ())
        for id, number, name, iban in session.execute(
            select(Customer.id, Customer.number, Customer.name, Customer.iban)
        )
    ]
    return Matcher(invoices, customers, knowledge=payer_knowledge(session), config=config or match_config(session))


def engine_payment(tx: Transaction, remaining_cents: int | None = None) -> Payment:
    cents = tx.amount_cents if remaining_cents is None else remaining_cents
    return Payment(
        id=tx.id,
        booked_on=tx.booked_on,
        amount=from_cents(cents),
        counterparty_name=tx.counterparty_name,
        counterparty_iban=tx.counterparty_iban,
        purpose=tx.purpose,
        end_to_end_id=tx.end_to_end_id,
        currency=tx.currency,
    )


def matchable() -> list:
    """Booked, still open, and neither a return nor a payment that was returned."""
    returned = select(Transaction.return_of_id).where(Transaction.return_of_id.is_not(None))
    return [
        Transaction.status == BookingStatus.BOOKED,
        Transaction.reconciliation == Reconciliation.OPEN,
        Transaction.return_reason == "",
        Transaction.amount_cents != 0,
        Transaction.id.not_in(returned),
    ]


def match_config(session: Session) -> MatchConfig:
    return MatchConfig.from_dict(read_section(session, CONFIG_KEY, {}))


def load_config(ledger: Ledger) -> MatchConfig:
    """The company's matching settings; an empty pattern list means 'detect from the invoices at each run'."""
    with ledger.session() as session:
        return match_config(session)


def save_config(ledger: Ledger, config: MatchConfig, *, actor: str) -> None:
    with ledger.writer() as session:
        write_section(session, CONFIG_KEY, config.to_dict(), actor=actor, summary="matching settings")


def detected_patterns(ledger: Ledger) -> list[str]:
    """The invoice number patterns detected from the ledger's invoices, the default shown in Settings."""
    with ledger.session() as session:
        return detect_patterns(session.scalars(select(Invoice.number)))
