"""The full-text index over transactions, filled in bulk after rows are inserted (one statement per import)."""

from __future__ import annotations

from sqlalchemy.orm import Session

_INDEX_RANGE = (
    "INSERT INTO transactions_fts (rowid, counterparty_name, purpose, refs) "
    "SELECT id, counterparty_name, purpose, end_to_end_id || ' ' || mandate_id || ' ' || bank_reference || ' ' || "
    "counterparty_iban || ' ' || creditor_id FROM transactions WHERE id BETWEEN ? AND ?"
)


def index_transactions(session: Session, first_id: int, last_id: int) -> None:
    """Index the new transactions with ids first_id..last_id; call in the transaction that inserted them."""
    if last_id >= first_id:
        session.connection().exec_driver_sql(_INDEX_RANGE, (first_id, last_id))
