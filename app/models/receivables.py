"""Customers, their invoices and the allocations of payments to invoices."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class Customer(Base):
    __tablename__ = "customers"
    __audited__ = ("number", "name", "iban")

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(50), default="", index=True)
    name: Mapped[str] = mapped_column(String(200))
    iban: Mapped[str] = mapped_column(String(34), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # For letters (dunning): the postal address, and whether § 288 BGB's consumer rate (base + 5) applies.
    address: Mapped[str] = mapped_column(Text, default="", server_default="")
    consumer: Mapped[bool] = mapped_column(default=False, server_default="0")


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("kind", "number", name="kind_number"),
        CheckConstraint("kind IN ('receivable', 'payable')", name="kind"),
        Index("ix_invoices_customer", "customer_id"),
    )
    __audited__ = ("number", "kind", "customer_id", "issued_on", "due_on", "amount_cents", "currency")

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(12), default="receivable")
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    issued_on: Mapped[date]
    due_on: Mapped[date | None] = mapped_column(default=None)
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the billing system last reported (an export's open amount and status); None: it said nothing.
    reported_open_cents: Mapped[int | None] = mapped_column(default=None)
    cancelled: Mapped[bool] = mapped_column(default=False)
    # Set when a re-import changed an invoice that payments were already allocated to.
    needs_review: Mapped[bool] = mapped_column(default=False)
    review_note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime | None] = mapped_column(default=None)


class InvoiceDocument(Base):
    """The e-invoice file an invoice was imported from, kept as received, and the payment terms read from it:
    the account the seller asks to be paid to, the reference to quote, the Skonto tiers in XRechnung's
    convention (`#SKONTO#TAGE=14#PROZENT=2.00#`, one per line), and the mandate when the seller collects.
    Its own audited row, so that invoices' audit digests stay as they were."""

    __tablename__ = "invoice_documents"
    __table_args__ = (UniqueConstraint("invoice_id"),)
    __audited__ = (
        "invoice_id",
        "filename",
        "media_type",
        "digest",
        "payee_iban",
        "payee_bic",
        "payment_reference",
        "skonto_terms",
        "debit_mandate",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    payee_iban: Mapped[str] = mapped_column(String(34), default="")
    payee_bic: Mapped[str] = mapped_column(String(11), default="")
    payment_reference: Mapped[str] = mapped_column(String(140), default="")
    skonto_terms: Mapped[str] = mapped_column(Text, default="")
    debit_mandate: Mapped[str] = mapped_column(String(35), default="")  # the seller collects it by direct debit
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvoiceCharge(Base):
    """What a customer owes beyond an invoice's amount, such as the bank's fee for a returned payment."""

    __tablename__ = "invoice_charges"
    __table_args__ = (
        CheckConstraint("kind IN ('return_fee')", name="kind"),
        Index("ix_invoice_charges_invoice", "invoice_id"),
    )
    __audited__ = ("invoice_id", "kind", "amount_cents", "transaction_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int]
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Allocation(Base):
    """Part of a payment assigned to an invoice: by the engine ('auto'), by a person taking one of Map's suggestions
    ('suggested'), or by a person choosing the invoices themselves ('manual')."""

    __tablename__ = "allocations"
    __table_args__ = (
        CheckConstraint("method IN ('auto', 'suggested', 'manual')", name="method"),
        Index("ix_allocations_transaction", "transaction_id"),
        Index("ix_allocations_invoice", "invoice_id"),
    )
    __audited__ = ("transaction_id", "invoice_id", "amount_cents", "method", "created_by")

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id", ondelete="RESTRICT"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"))
    amount_cents: Mapped[int]
    discount_cents: Mapped[int] = mapped_column(default=0)  # written off to close the invoice (Skonto, fees)
    method: Mapped[str] = mapped_column(String(10))
    confidence: Mapped[float] = mapped_column(default=1.0)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerCredit(Base):
    """Money a customer paid beyond their invoices (a double payment, an overpayment), held for them: the rest of
    `transaction_id` that no invoice took. Used by a later invoice through an allocation of the same payment,
    which lowers `amount_cents`; so allocations plus credits never exceed the payment."""

    __tablename__ = "customer_credits"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0 AND amount_cents <= original_cents", name="amount"),
        Index("ix_customer_credits_customer", "customer_id"),
        Index("ix_customer_credits_transaction", "transaction_id"),
    )
    __audited__ = ("customer_id", "transaction_id", "amount_cents", "original_cents")

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id", ondelete="RESTRICT"))
    amount_cents: Mapped[int]
    original_cents: Mapped[int]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoInvoiceRule(Base):
    """ "Always without invoice for this IBAN (or this text in the purpose)": salaries, taxes, rent, card
    settlements. Applied to new bookings before invoice matching; `category` is a key of `no_invoice.CATEGORIES`."""

    __tablename__ = "no_invoice_rules"
    __audited__ = ("iban", "purpose_contains", "category")

    id: Mapped[int] = mapped_column(primary_key=True)
    iban: Mapped[str] = mapped_column(String(34), default="")
    purpose_contains: Mapped[str] = mapped_column(String(140), default="")
    category: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LearnedPayer(Base):
    """A payer IBAN or normalized payer name learned for a customer, from a manual mapping or an import."""

    __tablename__ = "payer_knowledge"
    __table_args__ = (
        UniqueConstraint("key_kind", "key", name="key_kind_key"),
        CheckConstraint("key_kind IN ('iban', 'name')", name="key_kind"),
    )
    __audited__ = ("key_kind", "key", "customer_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    key_kind: Mapped[str] = mapped_column(String(4))
    key: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20), default="manual")
    learned_by: Mapped[str] = mapped_column(String(100), default="")
    learned_at: Mapped[datetime] = mapped_column(default=utcnow)
