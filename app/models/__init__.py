"""SQLAlchemy models of the ledger and its Alembic migrations."""
