"""Declarative base with a naming convention, so Alembic batch migrations can name constraints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def stored_datetime(connection: Connection, value: datetime) -> Any:
    """A datetime as SQLAlchemy stores it in this database, for rows written with driver-level SQL."""
    processor = DateTime().dialect_impl(connection.dialect).bind_processor(connection.dialect)
    return processor(value) if processor else value
