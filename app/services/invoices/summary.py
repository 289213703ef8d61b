"""The summary line under an invoice list, computed here so that views do no money arithmetic."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from app.services.formatting import format_amount
from app.services.invoices.open_items import InvoiceRow, InvoiceStatus


@dataclass(frozen=True, slots=True)
class InvoiceSummary:
    """How many invoices a list holds and what is still open on them, per currency."""

    count: int = 0
    open_by_currency: dict[str, Decimal] = field(default_factory=dict)

    def open_text(self) -> str:
        """'12.345,00 €' (or '1.000,00 € + 200,00 USD'); the euro total first, '0,00 €' when nothing is open."""
        if not self.open_by_currency:
            return format_amount(Decimal("0.00"))
        currencies = sorted(self.open_by_currency, key=lambda currency: (currency != "EUR", currency))
        return " + ".join(format_amount(self.open_by_currency[currency], currency) for currency in currencies)


def summarize(rows: Iterable[InvoiceRow]) -> InvoiceSummary:
    count = 0
    totals: dict[str, Decimal] = {}
    for row in rows:
        count += 1
        if row.open_amount and row.status != InvoiceStatus.CANCELLED:
            totals[row.currency] = totals.get(row.currency, Decimal("0.00")) + row.open_amount
    return InvoiceSummary(count, totals)
