"""The full-text index over transactions: filled statement by statement in the import's transaction, or, after a
large import, by the first search that needs it (`catch_up`).

Ids only grow and the index only ever gets whole ranges in id order, so what lies above its highest id is all it
lacks: a search that finds such rows indexes them first, and so does an import that indexes its own rows.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.services.ledger.database import Ledger, LedgerBusyError
from app.services.ledger.dialects import on_server

# An import of at least this many bookings (estimated) leaves its rows to `catch_up`: indexing is about a fifth
# of such an import (0.55 s of 100,000 CAMT bookings), and `kontor import` or a sync should not wait for a search
# nobody has asked for yet. Below it, indexing in the import costs no one a noticeable moment.
INDEX_LATER_ROWS = 1000

_INDEX_SELECT = (
    "INSERT INTO transactions_fts (rowid, counterparty_name, purpose, refs) "
    "SELECT id, counterparty_name, purpose, end_to_end_id || ' ' || mandate_id || ' ' || bank_reference || ' ' || "
    "counterparty_iban || ' ' || creditor_id FROM transactions "
)
_INDEX_RANGE = _INDEX_SELECT + "WHERE id BETWEEN ? AND ?"
_INDEXED_UP_TO = "SELECT coalesce(max(rowid), 0) FROM transactions_fts"
_INDEX_PENDING = _INDEX_SELECT + f"WHERE id > ({_INDEXED_UP_TO})"
_ANY_PENDING = f"SELECT EXISTS (SELECT 1 FROM transactions WHERE id > ({_INDEXED_UP_TO}))"


def index_transactions(session: Session, first_id: int, last_id: int) -> None:
    """Index the new transactions with ids first_id..last_id; call in the transaction that inserted them, after
    `index_pending` (a range above unindexed rows would hide those from `catch_up`)."""
    if last_id >= first_id and not on_server(session):  # a server ledger searches the table (statements.query)
        session.connection().exec_driver_sql(_INDEX_RANGE, (first_id, last_id))


def index_pending(session: Session) -> int:
    """Index every transaction the index does not have yet (left by a large import, or by an earlier version that
    committed before indexing); returns how many."""
    if on_server(session):
        return 0
    return session.connection().exec_driver_sql(_INDEX_PENDING).rowcount


def catch_up(ledger: Ledger) -> int:
    """Make the index complete before a search: a read when it is (always on a server ledger), else the pending
    rows indexed in a transaction of their own; returns how many.

    While another program writes (a long import) nothing is waited for and 0 returned: the search runs on the
    index as it is, and the next search or import indexes the rows.
    """
    with ledger.session() as session:
        if on_server(session) or not session.connection().exec_driver_sql(_ANY_PENDING).scalar():
            return 0
    try:
        with ledger.writer(wait=False) as session:
            return index_pending(session)
    except LedgerBusyError:
        return 0
