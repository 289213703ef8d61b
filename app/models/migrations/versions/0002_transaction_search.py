"""full-text search over transactions (FTS5 inside the encrypted ledger)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Contentless FTS5 keyed by transactions.id: the text lives once, in `transactions`; the index only finds ids.
# New rows are indexed in bulk by app.services.statements.search_index after each import (a per-row trigger doubled the
# cost of an import); deletions are followed by a trigger.
INDEX_SELECT = (
    "SELECT id, counterparty_name, purpose, end_to_end_id || ' ' || mandate_id || ' ' || bank_reference || ' ' || "
    "counterparty_iban || ' ' || creditor_id FROM transactions"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # a server ledger searches with ILIKE (statements.query); FTS5 exists in SQLite only
    op.execute(
        "CREATE VIRTUAL TABLE transactions_fts USING fts5("
        "counterparty_name, purpose, refs, content='', contentless_delete=1, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(f"INSERT INTO transactions_fts (rowid, counterparty_name, purpose, refs) {INDEX_SELECT}")
    op.execute(
        "CREATE TRIGGER transactions_fts_delete AFTER DELETE ON transactions BEGIN "
        "DELETE FROM transactions_fts WHERE rowid = old.id; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER transactions_fts_delete")
    op.execute("DROP TABLE transactions_fts")
