"""Outgoing payments: SEPA direct debit mandates, payment runs, their orders and the approvals given to them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow

SEQUENCE_TYPES = ("FRST", "RCUR", "FNAL", "OOFF")
SCHEMES = ("CORE", "B2B")
RUN_KINDS = ("transfer", "debit")


class MandateStatus(StrEnum):
    """Whether a direct debit mandate may still be used; a mandate unused for 36 months expires."""

    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


MANDATE_STATUSES = tuple(status.value for status in MandateStatus)


class RunStatus(StrEnum):
    """Where a payment run stands; stored as its value, so it compares equal to the stored text."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    SENT = "sent"
    BOOKED = "booked"
    REJECTED = "rejected"
    FAILED = "failed"


RUN_STATUSES = tuple(status.value for status in RunStatus)


class Mandate(Base):
    """A signed SEPA direct debit mandate of one customer; `sequence` is the type its next collection uses."""

    __tablename__ = "mandates"
    __table_args__ = (
        CheckConstraint(f"status IN {MANDATE_STATUSES!r}", name="status"),
        CheckConstraint(f"sequence IN {SEQUENCE_TYPES!r}", name="sequence"),
        CheckConstraint(f"scheme IN {SCHEMES!r}", name="scheme"),
        Index("ix_mandates_customer", "customer_id"),
    )
    __audited__ = (
        "customer_id",
        "reference",
        "signed_on",
        "scheme",
        "debtor_name",
        "debtor_iban",
        "debtor_bic",
        "sequence",
        "status",
        "original_reference",
        "original_debtor_iban",
        "last_used_on",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    reference: Mapped[str] = mapped_column(String(35), unique=True)
    signed_on: Mapped[date]
    scheme: Mapped[str] = mapped_column(String(4), default="CORE")
    debtor_name: Mapped[str] = mapped_column(String(70))
    debtor_iban: Mapped[str] = mapped_column(String(34))
    debtor_bic: Mapped[str] = mapped_column(String(11), default="")
    sequence: Mapped[str] = mapped_column(String(4), default="FRST")
    status: Mapped[str] = mapped_column(String(10), default=MandateStatus.ACTIVE.value)
    # Amendment info sent with the next collection, then cleared: the mandate's old reference or debtor IBAN.
    original_reference: Mapped[str] = mapped_column(String(35), default="")
    original_debtor_iban: Mapped[str] = mapped_column(String(34), default="")
    last_used_on: Mapped[date | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentRun(Base):
    """Orders from one account, of one kind and scheme, for one execution date: approved and sent together."""

    __tablename__ = "payment_runs"
    __table_args__ = (
        CheckConstraint(f"kind IN {RUN_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {RUN_STATUSES!r}", name="status"),
        Index("ix_payment_runs_status", "status"),
    )
    __audited__ = ("kind", "scheme", "account_id", "execution_on", "instant", "status", "status_reason", "created_by")

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    scheme: Mapped[str] = mapped_column(String(4), default="")  # CORE or B2B for debits
    account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id", ondelete="RESTRICT"))
    execution_on: Mapped[date]
    instant: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default=RunStatus.DRAFT.value)
    status_reason: Mapped[str] = mapped_column(Text, default="")  # why rejected or failed
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_via: Mapped[str] = mapped_column(String(20), default="")  # 'file' or 'fints'
    bank_reference: Mapped[str] = mapped_column(String(100), default="")


class PaymentOrder(Base):
    """One transfer or debit of a run; `transaction_id` is the booking it was matched to."""

    __tablename__ = "payment_orders"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        Index("ix_payment_orders_run", "run_id"),
        Index("ix_payment_orders_iban", "iban"),
        Index("ix_payment_orders_invoice", "invoice_id"),
    )
    __audited__ = (
        "run_id",
        "name",
        "iban",
        "bic",
        "amount_cents",
        "remittance",
        "end_to_end_id",
        "invoice_id",
        "customer_id",
        "mandate_id",
        "sequence",
        "transaction_id",
        "created_by",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payment_runs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(70))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str] = mapped_column(String(11), default="")
    amount_cents: Mapped[int]
    remittance: Mapped[str] = mapped_column(String(140), default="")
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"), default=None)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), default=None)
    mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandates.id", ondelete="RESTRICT"), default=None)
    sequence: Mapped[str] = mapped_column(String(4), default="")  # FRST/RCUR/FNAL/OOFF for debits
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id", ondelete="SET NULL"), default=None)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PayeeCheckResult(Base):
    """The bank's verification of payee for one order at one attempt to send it, and what the approver decided.

    `result` is the bank's code (RCVC, RVMC, RVNM, RVNA); `bank_name` the holder's name the bank gave on a close
    match; `decision` "confirmed" (sent anyway), "declined" (stopped), or "" when the bank asked nothing."""

    __tablename__ = "payee_checks"
    __table_args__ = (
        Index("ix_payee_checks_order", "order_id"),
        CheckConstraint("decision IN ('', 'confirmed', 'declined')", name="decision"),
    )
    __audited__ = ("order_id", "result", "bank_name", "reason", "notice", "decision", "decided_by")

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("payment_orders.id", ondelete="CASCADE"))
    result: Mapped[str] = mapped_column(String(4))
    bank_name: Mapped[str] = mapped_column(String(140), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    notice: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str] = mapped_column(String(10), default="")
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Approval(Base):
    """One approver's consent to a run as it was (`digest` of its orders); a later change makes it void."""

    __tablename__ = "payment_approvals"
    __table_args__ = (Index("ix_payment_approvals_run", "run_id"),)
    __audited__ = ("run_id", "user_id", "digest", "void")

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payment_runs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    digest: Mapped[str] = mapped_column(String(64))
    void: Mapped[bool] = mapped_column(default=False)
    approved_at: Mapped[datetime] = mapped_column(default=utcnow)
