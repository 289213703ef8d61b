"""Dunning: holds on invoices or customers, dunning runs and the letters they produced (amounts in cents)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class DunningRunStatus(StrEnum):
    DRAFT = "draft"  # letters made, not yet sent: levels do not advance
    SENT = "sent"


class DunningHold(Base):
    """No dunning for an invoice or a whole customer: a block (no end) or a promise to pay until a date."""

    __tablename__ = "dunning_holds"
    __table_args__ = (
        CheckConstraint("(invoice_id IS NULL) <> (customer_id IS NULL)", name="one_target"),
        Index("ix_dunning_holds_invoice", "invoice_id"),
        Index("ix_dunning_holds_customer", "customer_id"),
    )
    __audited__ = ("invoice_id", "customer_id", "until", "reason", "created_by")

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"), default=None)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), default=None)
    until: Mapped[date | None] = mapped_column(default=None)  # None: blocked until lifted
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DunningRun(Base):
    __tablename__ = "dunning_runs"
    __table_args__ = (CheckConstraint("status IN ('draft', 'sent')", name="status"),)
    __audited__ = ("run_on", "status", "created_by", "sent_by")

    id: Mapped[int] = mapped_column(primary_key=True)
    run_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default=DunningRunStatus.DRAFT.value)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_by: Mapped[str] = mapped_column(String(100), default="")
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class DunningLetter(Base):
    """One letter to one customer; the PDF is kept as sent, its SHA-256 in the audit log."""

    __tablename__ = "dunning_letters"
    __table_args__ = (Index("ix_dunning_letters_run", "run_id"),)
    __audited__ = ("run_id", "customer_id", "level", "open_cents", "interest_cents", "fees_cents", "digest")

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("dunning_runs.id", ondelete="RESTRICT"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    level: Mapped[int]
    open_cents: Mapped[int]
    interest_cents: Mapped[int]
    fees_cents: Mapped[int]  # the level's fee and, where chosen, the flat €40 per invoice
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    digest: Mapped[str] = mapped_column(String(64))


class DunningItem(Base):
    """An invoice on a letter, at the level this letter gives it."""

    __tablename__ = "dunning_items"
    __table_args__ = (Index("ix_dunning_items_invoice", "invoice_id"), Index("ix_dunning_items_letter", "letter_id"))
    __audited__ = (
        "letter_id",
        "invoice_id",
        "level",
        "open_cents",
        "interest_cents",
        "lump_sum_cents",
        "charges_cents",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("dunning_letters.id", ondelete="RESTRICT"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"))
    level: Mapped[int]
    open_cents: Mapped[int]
    interest_cents: Mapped[int]
    lump_sum_cents: Mapped[int] = mapped_column(default=0)
    charges_cents: Mapped[int] = mapped_column(default=0)  # return fees and the like (invoice_charges)
