"""What happened: notifications for the user and the hash-chained audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    read: Mapped[bool] = mapped_column(default=False)


class AuditEvent(Base):
    """An append-only event; `chain_hash` covers the previous event's hash, so edits break the chain."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(default=None)
    summary: Mapped[str] = mapped_column(Text, default="")
    data_digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # two writers cannot fork the chain
    chain_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The host an event on a server ledger came from ('' on a file, and before schema 0009); in the chain only
    # when set, so older events keep their hashes.
    workstation: Mapped[str] = mapped_column(String(100), default="", server_default="")
