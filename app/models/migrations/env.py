"""Alembic environment: runs on the already unlocked SQLCipher connection handed over by the ledger."""

from __future__ import annotations

from alembic import context

from app.models.schema import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
