"""Plain, storage-free values the matching engine reads and returns, so any source can feed it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

RECEIVABLE = "receivable"
PAYABLE = "payable"


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer (receivables) or supplier (payables); IBANs come from master data."""

    id: int
    number: str
    name: str
    ibans: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Invoice:
    """An open item; `open_amount` is what is still unpaid when the run starts."""

    id: int
    number: str
    customer_id: int
    customer_name: str
    kind: str
    issued_on: date
    due_on: date | None
    amount: Decimal
    open_amount: Decimal
    currency: str = "EUR"


@dataclass(frozen=True, slots=True)
class Payment:
    """A bank booking; credits are positive and settle receivables, debits negative and settle payables."""

    id: int
    booked_on: date
    amount: Decimal
    counterparty_name: str = ""
    counterparty_iban: str = ""
    purpose: str = ""
    end_to_end_id: str = ""
    currency: str = "EUR"


@dataclass(frozen=True, slots=True)
class Allocation:
    """Part of a payment booked on one invoice; `discount` is written off (Skonto, fees) to close it."""

    invoice_id: int
    amount: Decimal
    discount: Decimal = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Proposal:
    """One way to book a payment, with the score and the reasons a user sees before accepting it."""

    payment_id: int
    allocations: tuple[Allocation, ...]
    score: float
    reasons: tuple[str, ...]
    kind: str
    doubt: str = ""  # why this proposal alone may not be booked automatically, empty when nothing holds it back


@dataclass(frozen=True, slots=True)
class MatchResult:
    """'auto' may be booked without asking; 'suggested' needs a user; 'open' has nothing to offer.

    `why_not` says, for every result that is not 'auto', what kept it from being booked automatically.
    """

    payment_id: int
    status: str
    best: Proposal | None
    suggestions: tuple[Proposal, ...]
    why_not: str = ""


@dataclass(slots=True)
class PayerKnowledge:
    """What earlier manual mappings taught: payer IBAN and normalized payer name -> customer id."""

    customer_by_iban: dict[str, int] = field(default_factory=dict)
    customer_by_name: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer_by_iban": dict(self.customer_by_iban),
            "customer_by_name": dict(self.customer_by_name),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PayerKnowledge:
        return cls(
            customer_by_iban={str(k): int(v) for k, v in data.get("customer_by_iban", {}).items()},
            customer_by_name={str(k): int(v) for k, v in data.get("customer_by_name", {}).items()},
        )
