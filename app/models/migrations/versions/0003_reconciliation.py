"""reconciliation: invoice review flags and reported state, allocation discounts, learned payers, ignored payments

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN, never a batch "move and copy": recreating `transactions` would drop the
    # FTS delete trigger and, with foreign keys on, check every row against return_of_id (hours at 1M rows).
    op.add_column("invoices", sa.Column("reported_open_cents", sa.Integer(), nullable=True))
    op.add_column("invoices", sa.Column("cancelled", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("invoices", sa.Column("needs_review", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("invoices", sa.Column("review_note", sa.Text(), nullable=False, server_default=""))
    op.add_column("invoices", sa.Column("updated_at", sa.DateTime(), nullable=True))
    op.add_column("allocations", sa.Column("discount_cents", sa.Integer(), nullable=False, server_default="0"))
    op.add_column(
        "transactions", sa.Column("reconciliation_note", sa.String(length=200), nullable=False, server_default="")
    )
    op.add_column("transactions", sa.Column("manual_only", sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table(
        "payer_knowledge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_kind", sa.String(length=4), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("learned_by", sa.String(length=100), nullable=False),
        sa.Column("learned_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("key_kind IN ('iban', 'name')", name=op.f("ck_payer_knowledge_key_kind")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_payer_knowledge_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payer_knowledge")),
        sa.UniqueConstraint("key_kind", "key", name="key_kind_key"),
    )


def downgrade() -> None:
    op.drop_table("payer_knowledge")
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_column("manual_only")
        batch_op.drop_column("reconciliation_note")
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_column("discount_cents")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("review_note")
        batch_op.drop_column("needs_review")
        batch_op.drop_column("cancelled")
        batch_op.drop_column("reported_open_cents")
