"""The states a booking goes through, without SQLAlchemy: the statement reader's worker process needs them, and
loading the ORM there would cost it a quarter of a second before it reads a line."""

from __future__ import annotations

from enum import StrEnum


class BookingStatus(StrEnum):
    """How far the bank has booked a transaction; a pending row becomes `REPLACED` once its booking arrives."""

    BOOKED = "booked"
    PENDING = "pending"
    REPLACED = "replaced"


class Reconciliation(StrEnum):
    """How much of a transaction is assigned to invoices, or that it needs none (`IGNORED`)."""

    OPEN = "open"
    PARTIAL = "partial"
    MATCHED = "matched"
    IGNORED = "ignored"
