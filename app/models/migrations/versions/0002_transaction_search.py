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
_REFS = (
    "{t}.end_to_end_id || ' ' || {t}.mandate_id || ' ' || {t}.bank_reference || ' ' || {t}.counterparty_iban"
    " || ' ' || {t}.creditor_id"
)


def upgrade() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE transactions_fts USING fts5("
        "counterparty_name, purpose, refs, content='', contentless_delete=1, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        "INSERT INTO transactions_fts (rowid, counterparty_name, purpose, refs) "
        f"SELECT id, counterparty_name, purpose, {_REFS.format(t='transactions')} FROM transactions"
    )
    op.execute(
        "CREATE TRIGGER transactions_fts_insert AFTER INSERT ON transactions BEGIN "
        "INSERT INTO transactions_fts (rowid, counterparty_name, purpose, refs) "
        f"VALUES (new.id, new.counterparty_name, new.purpose, {_REFS.format(t='new')}); END"
    )
    op.execute(
        "CREATE TRIGGER transactions_fts_delete AFTER DELETE ON transactions BEGIN "
        "DELETE FROM transactions_fts WHERE rowid = old.id; END"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER transactions_fts_delete")
    op.execute("DROP TRIGGER transactions_fts_insert")
    op.execute("DROP TABLE transactions_fts")
