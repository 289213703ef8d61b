"""e-invoices, the payee check and credits: an invoice's original file with the payee account, reference, Skonto
and mandate read from it; the bank's verification of payee per order and attempt, with the approver's decision;
money held for a customer (a double payment) until a later invoice uses it; rules for payments without invoice

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoice_documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("invoice_id", sa.Integer(), sa.ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("payee_iban", sa.String(34), nullable=False),
        sa.Column("payee_bic", sa.String(11), nullable=False),
        sa.Column("payment_reference", sa.String(140), nullable=False),
        sa.Column("skonto_terms", sa.Text(), nullable=False),
        sa.Column("debit_mandate", sa.String(35), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("invoice_id", name=op.f("uq_invoice_documents_invoice_id")),
    )
    op.create_table(
        "payee_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("payment_orders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("result", sa.String(4), nullable=False),
        sa.Column("bank_name", sa.String(140), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("decision IN ('', 'confirmed', 'declined')", name=op.f("ck_payee_checks_decision")),
    )
    op.create_index("ix_payee_checks_order", "payee_checks", ["order_id"])
    op.create_table(
        "customer_credits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False),
        sa.Column(
            "transaction_id", sa.Integer(), sa.ForeignKey("transactions.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("original_cents", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "amount_cents >= 0 AND amount_cents <= original_cents", name=op.f("ck_customer_credits_amount")
        ),
    )
    op.create_index("ix_customer_credits_customer", "customer_credits", ["customer_id"])
    op.create_index("ix_customer_credits_transaction", "customer_credits", ["transaction_id"])
    op.create_table(
        "no_invoice_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("iban", sa.String(34), nullable=False),
        sa.Column("purpose_contains", sa.String(140), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("no_invoice_rules")
    op.drop_table("customer_credits")
    op.drop_table("payee_checks")
    op.drop_table("invoice_documents")
