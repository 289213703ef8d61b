"""Locale formatting of amounts and dates, shared by the CLI and the GUI."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.services.i18n import current_language

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> int:
    """Integer cents of a Decimal amount, rounding half up as banks do."""
    return int(amount.quantize(CENT, rounding=ROUND_HALF_UP) * 100)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def format_amount(amount: Decimal, currency: str = "EUR", *, language: str | None = None) -> str:
    """1.234,56 € in German, €1,234.56 in English."""
    lang = language or current_language()
    text = f"{abs(amount.quantize(CENT)):,.2f}"
    sign = "-" if amount < 0 else ""
    symbol = "€" if currency == "EUR" else currency
    if lang == "de":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
        return f"{sign}{text}\u00a0{symbol}"
    return f"{sign}{symbol}{text}" if symbol == "€" else f"{sign}{text}\u00a0{symbol}"


def format_date(value: date, *, language: str | None = None) -> str:
    lang = language or current_language()
    return value.strftime("%d.%m.%Y") if lang == "de" else value.isoformat()
