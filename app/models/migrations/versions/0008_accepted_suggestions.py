"""An allocation the bookkeeper took over from Map's suggestions is recorded as such ('suggested'), not as one
typed by hand, so the audit and the allocation history say which evidence a person confirmed

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_allocations_method"), type_="check")
        batch_op.create_check_constraint(op.f("ck_allocations_method"), "method IN ('auto', 'suggested', 'manual')")


def downgrade() -> None:
    op.execute("UPDATE allocations SET method = 'manual' WHERE method = 'suggested'")
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_allocations_method"), type_="check")
        batch_op.create_check_constraint(op.f("ck_allocations_method"), "method IN ('auto', 'manual')")
