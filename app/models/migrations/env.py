"""Alembic environment: runs on the already unlocked SQLCipher connection handed over by the ledger."""

from __future__ import annotations

from alembic import context

from app.models.schema import Base

# Tables the ORM does not map: the FTS5 index and its shadow tables, made by migrations in SQL.
UNMAPPED_PREFIXES = ("transactions_fts",)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return not (type_ == "table" and name is not None and name.startswith(UNMAPPED_PREFIXES))


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
