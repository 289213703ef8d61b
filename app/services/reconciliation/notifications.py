"""The notification bell: what matching and imports did that the bookkeeper should know."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from app.models.schema import (
    Notification,
)
from app.services.ledger.database import Ledger


@dataclass(frozen=True, slots=True)
class NotificationRow:
    id: int
    created_at: datetime
    kind: str
    message: str
    read: bool


def notifications(ledger: Ledger, *, unread_only: bool = False, limit: int = 200) -> list[NotificationRow]:
    """Newest first, for the notification bell."""
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if unread_only:
        query = query.where(Notification.read.is_(False))
    with ledger.session() as session:
        return [NotificationRow(n.id, n.created_at, n.kind, n.message, n.read) for n in session.scalars(query)]


def unread_count(ledger: Ledger) -> int:
    with ledger.session() as session:
        return session.scalar(select(func.count(Notification.id)).where(Notification.read.is_(False))) or 0


def mark_read(ledger: Ledger, ids: Iterable[int] | None = None) -> None:
    """Mark the given notifications read, or all of them."""
    statement = update(Notification).values(read=True)
    if ids is not None:
        statement = statement.where(Notification.id.in_(list(ids)))
    with ledger.writer() as session:
        session.execute(statement)
