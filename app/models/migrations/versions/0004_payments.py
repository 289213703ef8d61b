"""payments: direct debit mandates, payment runs with their orders and four-eyes approvals

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mandates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("scheme", sa.String(length=4), nullable=False),
        sa.Column("debtor_name", sa.String(length=70), nullable=False),
        sa.Column("debtor_iban", sa.String(length=34), nullable=False),
        sa.Column("debtor_bic", sa.String(length=11), nullable=False),
        sa.Column("sequence", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("original_reference", sa.String(length=35), nullable=False),
        sa.Column("original_debtor_iban", sa.String(length=34), nullable=False),
        sa.Column("last_used_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("scheme IN ('CORE', 'B2B')", name=op.f("ck_mandates_scheme")),
        sa.CheckConstraint("sequence IN ('FRST', 'RCUR', 'FNAL', 'OOFF')", name=op.f("ck_mandates_sequence")),
        sa.CheckConstraint("status IN ('active', 'revoked', 'expired')", name=op.f("ck_mandates_status")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_mandates_customer_id_customers"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mandates")),
        sa.UniqueConstraint("reference", name=op.f("uq_mandates_reference")),
    )
    with op.batch_alter_table("mandates", schema=None) as batch_op:
        batch_op.create_index("ix_mandates_customer", ["customer_id"], unique=False)

    op.create_table(
        "payment_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("scheme", sa.String(length=4), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("execution_on", sa.Date(), nullable=False),
        sa.Column("instant", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("sent_via", sa.String(length=20), nullable=False),
        sa.Column("bank_reference", sa.String(length=100), nullable=False),
        sa.CheckConstraint("kind IN ('transfer', 'debit')", name=op.f("ck_payment_runs_kind")),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'approved', 'sent', 'booked', 'rejected', 'failed')",
            name=op.f("ck_payment_runs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["bank_accounts.id"],
            name=op.f("fk_payment_runs_account_id_bank_accounts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_runs")),
    )
    with op.batch_alter_table("payment_runs", schema=None) as batch_op:
        batch_op.create_index("ix_payment_runs_status", ["status"], unique=False)

    op.create_table(
        "payment_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("void", sa.Boolean(), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["payment_runs.id"], name=op.f("fk_payment_approvals_run_id_payment_runs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_payment_approvals_user_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_approvals")),
    )
    with op.batch_alter_table("payment_approvals", schema=None) as batch_op:
        batch_op.create_index("ix_payment_approvals_run", ["run_id"], unique=False)

    op.create_table(
        "payment_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=70), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("bic", sa.String(length=11), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("remittance", sa.String(length=140), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("mandate_id", sa.Integer(), nullable=True),
        sa.Column("sequence", sa.String(length=4), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_payment_orders_amount_positive")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_payment_orders_customer_id_customers"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_payment_orders_invoice_id_invoices"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["mandate_id"], ["mandates.id"], name=op.f("fk_payment_orders_mandate_id_mandates"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["payment_runs.id"], name=op.f("fk_payment_orders_run_id_payment_runs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_payment_orders_transaction_id_transactions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_orders")),
        sa.UniqueConstraint("end_to_end_id", name=op.f("uq_payment_orders_end_to_end_id")),
    )
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.create_index("ix_payment_orders_iban", ["iban"], unique=False)
        batch_op.create_index("ix_payment_orders_invoice", ["invoice_id"], unique=False)
        batch_op.create_index("ix_payment_orders_run", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_table("payment_orders")
    op.drop_table("payment_approvals")
    op.drop_table("payment_runs")
    op.drop_table("mandates")
