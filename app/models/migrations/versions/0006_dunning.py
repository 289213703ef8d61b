"""dunning: holds, runs, letters and their invoices; customers' postal address and consumer flag; charges

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("address", sa.Text(), nullable=False, server_default=""))
    op.add_column("customers", sa.Column("consumer", sa.Boolean(), nullable=False, server_default="0"))
    op.create_table(
        "dunning_holds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("invoice_id", sa.Integer(), sa.ForeignKey("invoices.id", ondelete="RESTRICT"), nullable=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id", ondelete="RESTRICT"), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("(invoice_id IS NULL) <> (customer_id IS NULL)", name=op.f("ck_dunning_holds_one_target")),
    )
    op.create_index("ix_dunning_holds_invoice", "dunning_holds", ["invoice_id"])
    op.create_index("ix_dunning_holds_customer", "dunning_holds", ["customer_id"])
    op.create_table(
        "dunning_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_by", sa.String(100), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'sent')", name=op.f("ck_dunning_runs_status")),
    )
    op.create_table(
        "dunning_letters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("dunning_runs.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("open_cents", sa.Integer(), nullable=False),
        sa.Column("interest_cents", sa.Integer(), nullable=False),
        sa.Column("fees_cents", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_index("ix_dunning_letters_run", "dunning_letters", ["run_id"])
    op.create_table(
        "dunning_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("letter_id", sa.Integer(), sa.ForeignKey("dunning_letters.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("invoice_id", sa.Integer(), sa.ForeignKey("invoices.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("open_cents", sa.Integer(), nullable=False),
        sa.Column("interest_cents", sa.Integer(), nullable=False),
        sa.Column("lump_sum_cents", sa.Integer(), nullable=False),
        sa.Column("charges_cents", sa.Integer(), nullable=False),
    )
    op.create_index("ix_dunning_items_invoice", "dunning_items", ["invoice_id"])
    op.create_index("ix_dunning_items_letter", "dunning_items", ["letter_id"])
    op.create_table(
        "invoice_charges",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("invoice_id", sa.Integer(), sa.ForeignKey("invoices.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), sa.ForeignKey("transactions.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('return_fee')", name=op.f("ck_invoice_charges_kind")),
    )
    op.create_index("ix_invoice_charges_invoice", "invoice_charges", ["invoice_id"])


def downgrade() -> None:
    for table in ("invoice_charges", "dunning_items", "dunning_letters", "dunning_runs", "dunning_holds"):
        op.drop_table(table)
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("consumer")
        batch.drop_column("address")
