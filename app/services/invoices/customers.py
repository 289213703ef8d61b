"""What the ledger knows of who pays for a customer: its master IBAN and learned payer IBANs and names."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.schema import (
    Customer,
    LearnedPayer,
)
from app.services.ledger import audit
from app.services.matching.names import normalize_iban


def remember_payer(session: Session, kind: str, key: str, customer_id: int, *, source: str, actor: str) -> None:
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
    remember_payer(session, "iban", iban, customer.id, source="import", actor=actor)
