"""Indexes of transactions for what is asked of them: the index on (account, dedupe key) goes, as no query reads
it (an import's duplicate check looks up the account's bookings of the file's dates through
ix_transactions_account_booked) and every import into a large ledger kept it up row by row; a partial index on
return_of_id comes, as every matching query excludes the payments that were returned, which scanned the whole
table once per chunk of 5,000 bookings (at 1,000,000 bookings 200 scans after a big import)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_RETURNED = sa.text("return_of_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_dedupe")
        batch_op.create_index(
            "ix_transactions_return_of", ["return_of_id"], sqlite_where=_RETURNED, postgresql_where=_RETURNED
        )


def downgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_return_of")
        batch_op.create_index("ix_transactions_dedupe", ["account_id", "dedupe_key"], unique=False)
