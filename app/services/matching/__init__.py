"""Qt-free, storage-free reconciliation of bank payments with open invoices."""

from __future__ import annotations

from app.services.matching.config import MatchConfig, SkontoRule, detect_patterns
from app.services.matching.engine import Matcher
from app.services.matching.learning import learn
from app.services.matching.model import (
    PAYABLE,
    RECEIVABLE,
    Allocation,
    Customer,
    Invoice,
    MatchResult,
    PayerKnowledge,
    Payment,
    Proposal,
)

__all__ = [
    "PAYABLE",
    "RECEIVABLE",
    "Allocation",
    "Customer",
    "Invoice",
    "MatchConfig",
    "MatchResult",
    "Matcher",
    "PayerKnowledge",
    "Payment",
    "Proposal",
    "SkontoRule",
    "detect_patterns",
    "learn",
]
