"""The index on (account, dedupe key) goes: no query reads it (the duplicate check of an import looks up the
account's bookings of the file's dates through ix_transactions_account_booked), and every import into a large
ledger paid for keeping it, about 4 µs per booking in random inserts

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_dedupe")


def downgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index("ix_transactions_dedupe", ["account_id", "dedupe_key"], unique=False)
