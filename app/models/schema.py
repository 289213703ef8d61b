"""Every table of the ledger, imported in one place for Alembic and the services."""

from __future__ import annotations

from app.models.banking import BalanceSnapshot, BankAccount, BankConnection, StatementImport, Transaction
from app.models.base import Base
from app.models.company import CompanySettings, User
from app.models.dunning import DunningHold, DunningItem, DunningLetter, DunningRun
from app.models.journal import AuditEvent, Notification
from app.models.payments import Approval, Mandate, PayeeCheckResult, PaymentOrder, PaymentRun
from app.models.receivables import (
    Allocation,
    Customer,
    CustomerCredit,
    Invoice,
    InvoiceCharge,
    InvoiceDocument,
    LearnedPayer,
    NoInvoiceRule,
)

__all__ = [
    "Allocation",
    "Approval",
    "AuditEvent",
    "BalanceSnapshot",
    "BankAccount",
    "BankConnection",
    "Base",
    "CompanySettings",
    "Customer",
    "CustomerCredit",
    "DunningHold",
    "DunningItem",
    "DunningLetter",
    "DunningRun",
    "Invoice",
    "InvoiceCharge",
    "InvoiceDocument",
    "LearnedPayer",
    "Mandate",
    "NoInvoiceRule",
    "Notification",
    "PayeeCheckResult",
    "PaymentOrder",
    "PaymentRun",
    "StatementImport",
    "Transaction",
    "User",
]
