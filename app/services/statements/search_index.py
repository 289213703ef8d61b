"""The full-text index over transactions, filled in the transaction that inserts the rows (one statement at a time)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.services.ledger.dialects import on_server

_INDEX_SELECT = (
    "INSERT INTO transactions_fts (rowid, counterparty_name, purpose, refs) "
    "SELECT id, counterparty_name, purpose, end_to_end_id || ' ' || mandate_id || ' ' || bank_reference || ' ' || "
    "counterparty_iban || ' ' || creditor_id FROM transactions "
)
_INDEX_RANGE = _INDEX_SELECT + "WHERE id BETWEEN ? AND ?"
# Ids only grow and the index only ever gets whole ranges, so what lies above its highest id is not indexed yet.
_INDEX_PENDING = _INDEX_SELECT + "WHERE id > (SELECT coalesce(max(rowid), 0) FROM transactions_fts)"


def index_transactions(session: Session, first_id: int, last_id: int) -> None:
    """Index the new transactions with ids first_id..last_id; call in the transaction that inserted them."""
    if last_id >= first_id and not on_server(session):  # a server ledger searches the table (statements.query)
        session.connection().exec_driver_sql(_INDEX_RANGE, (first_id, last_id))


def index_pending(session: Session) -> int:
    """Index every transaction the index does not have yet (rows an earlier version committed before indexing them);
    returns how many."""
    if on_server(session):
        return 0
    return session.connection().exec_driver_sql(_INDEX_PENDING).rowcount
