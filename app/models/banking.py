"""Banks, accounts and what the bank reports: balances and transactions (amounts in integer cents)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow
from app.models.states import BookingStatus, Reconciliation

BOOKING_STATUSES = tuple(status.value for status in BookingStatus)


class BankConnection(Base):
    """A FinTS login at one bank; the PIN is never stored here."""

    __tablename__ = "bank_connections"
    __audited__ = ("blz", "url", "login", "customer_id", "tan_mechanism", "tan_medium")

    id: Mapped[int] = mapped_column(primary_key=True)
    blz: Mapped[str] = mapped_column(String(8))
    bank_name: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(500))
    login: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[str] = mapped_column(String(100), default="")
    tan_mechanism: Mapped[str] = mapped_column(String(10), default="")
    tan_medium: Mapped[str] = mapped_column(String(100), default="")
    client_state: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    last_sync_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BankAccount(Base):
    __tablename__ = "bank_accounts"
    __audited__ = ("iban", "bic", "name", "currency", "connection_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_connections.id", ondelete="SET NULL"), default=None
    )
    iban: Mapped[str] = mapped_column(String(34), unique=True)
    bic: Mapped[str] = mapped_column(String(11), default="")
    bank_name: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BalanceSnapshot(Base):
    __tablename__ = "balance_snapshots"
    __table_args__ = (Index("ix_balance_account_date", "account_id", "balance_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id", ondelete="CASCADE"))
    balance_on: Mapped[date]
    amount_cents: Mapped[int]
    source: Mapped[str] = mapped_column(String(40), default="")


class Transaction(Base):
    """One booking of one account, as normalized from MT940, CAMT, CSV or FinTS.

    The audited columns are the bank's facts and never change; reconciliation state lives beside them.
    """

    __tablename__ = "transactions"
    __table_args__ = (
        CheckConstraint(f"status IN {BOOKING_STATUSES!r}", name="status"),
        Index("ix_transactions_account_booked", "account_id", "booked_on", "id"),
        Index("ix_transactions_booked", "booked_on", "id"),
        # Matching leaves out payments that were returned: a partial index, as few bookings are returns. Migration
        # 0010 makes it partial on PostgreSQL too; a `postgresql_where` here would import SQLAlchemy's PostgreSQL
        # dialect into every command (20 ms) for a schema only the migrations create.
        Index("ix_transactions_return_of", "return_of_id", sqlite_where=text("return_of_id IS NOT NULL")),
    )
    __audited__ = (
        "account_id",
        "booked_on",
        "value_on",
        "amount_cents",
        "currency",
        "counterparty_name",
        "counterparty_iban",
        "purpose",
        "end_to_end_id",
        "bank_reference",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id", ondelete="RESTRICT"))
    booked_on: Mapped[date]
    value_on: Mapped[date | None] = mapped_column(default=None)
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    counterparty_name: Mapped[str] = mapped_column(String(200), default="")
    counterparty_iban: Mapped[str] = mapped_column(String(34), default="")
    counterparty_bic: Mapped[str] = mapped_column(String(11), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    end_to_end_id: Mapped[str] = mapped_column(String(100), default="")
    mandate_id: Mapped[str] = mapped_column(String(100), default="")
    creditor_id: Mapped[str] = mapped_column(String(50), default="")
    bank_reference: Mapped[str] = mapped_column(String(100), default="")
    transaction_code: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[str] = mapped_column(
        String(10), default=BookingStatus.BOOKED.value
    )  # pending rows become 'replaced'
    return_reason: Mapped[str] = mapped_column(String(10), default="")
    return_of_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id", ondelete="SET NULL"), default=None)
    batch_ref: Mapped[str] = mapped_column(String(100), default="")
    reconciliation: Mapped[str] = mapped_column(String(20), default=Reconciliation.OPEN.value)
    reconciliation_note: Mapped[str] = mapped_column(String(200), default="")  # why ignored, or what undid it
    manual_only: Mapped[bool] = mapped_column(default=False)  # an undone automatic booking is not redone
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("statement_imports.id", ondelete="RESTRICT"), default=None, index=True
    )
    dedupe_key: Mapped[str] = mapped_column(String(64), default="")
    raw: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatementImport(Base):
    """One imported file (or sync); its transactions are audited together by one chained event."""

    __tablename__ = "statement_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(20))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(100))
    new_count: Mapped[int] = mapped_column(default=0)
    duplicate_count: Mapped[int] = mapped_column(default=0)
    warnings: Mapped[str] = mapped_column(Text, default="")
