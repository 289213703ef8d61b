"""Locale formatting of amounts and dates, shared by the CLI and the GUI."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.services.i18n import _, current_language

CENT = Decimal("0.01")
# The largest amount a file may name: beyond it is a typo or an attack, and far below what integer cents can hold.
MAX_AMOUNT = Decimal(10**12)


def is_plausible_amount(amount: Decimal) -> bool:
    """Finite and at most MAX_AMOUNT either way: 'NaN', 'Infinity' and 25-digit amounts are no bookings."""
    return amount.is_finite() and -MAX_AMOUNT <= amount <= MAX_AMOUNT


def to_cents(amount: Decimal) -> int:
    """Integer cents of a Decimal amount, rounding half up as banks do."""
    return int(amount.quantize(CENT, rounding=ROUND_HALF_UP) * 100)


def from_cents(cents: int) -> Decimal:
    """The Decimal of integer cents, always with two places (scaleb: no division, it runs per row)."""
    return Decimal(cents).scaleb(-2)


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


def format_cents(cents: int, currency: str = "EUR", *, language: str | None = None) -> str:
    """`format_amount` of an amount the ledger keeps in cents."""
    return format_amount(from_cents(cents), currency, language=language)


def format_count(count: int, *, language: str | None = None) -> str:
    """100.000 in German, 100,000 in English."""
    text = f"{count:,}"
    return text.replace(",", ".") if (language or current_language()) == "de" else text


def format_percent(value: Decimal, *, language: str | None = None) -> str:
    """2 % or 1,5 % in German (with the space DIN 5008 asks for), 2% or 1.5% in English."""
    lang = language or current_language()
    text = f"{value.normalize():f}"
    return f"{text.replace('.', ',')}\u00a0%" if lang == "de" else f"{text}%"


def format_score(score: float, *, language: str | None = None) -> str:
    """A matching score (0 to 1) as whole percent: 97 % in German, 97% in English."""
    return format_percent(Decimal(round(score * 100)), language=language)


def format_date(value: date, *, language: str | None = None) -> str:
    lang = language or current_language()
    return value.strftime("%d.%m.%Y") if lang == "de" else value.isoformat()


def parse_amount(text: str, language: str | None = None) -> Decimal:
    """A typed amount in either notation ('1.234,56', '1234.56', '1,234.56 €'); ValueError if it is not one.

    With both separators the last one is the decimal mark; a single separator followed by exactly three digits is
    the language's thousands separator (1.234 in German), otherwise it is the decimal mark."""
    lang = language or current_language()
    cleaned = text.replace("€", "").replace("EUR", "").replace("\u00a0", "").replace(" ", "").replace("'", "")
    sign = -1 if cleaned.startswith("-") else 1
    cleaned = cleaned.lstrip("+-")
    if not cleaned or not all(char.isdigit() or char in ".," for char in cleaned):
        raise ValueError(_("'{text}' is not an amount").format(text=text.strip()))
    if "," in cleaned and "." in cleaned:
        decimal_mark = "." if cleaned.rfind(".") > cleaned.rfind(",") else ","
    elif "," in cleaned or "." in cleaned:
        mark = "," if "," in cleaned else "."
        whole, _sep, tail = cleaned.rpartition(mark)
        thousands = "." if lang == "de" else ","
        grouped = cleaned.count(mark) > 1 or (len(tail) == 3 and mark == thousands and whole != "")
        decimal_mark = "" if grouped else mark
    else:
        decimal_mark = ""
    digits = cleaned
    for separator in ".,":
        if separator != decimal_mark:
            digits = digits.replace(separator, "")
    digits = digits.replace(decimal_mark, ".") if decimal_mark else digits
    if digits.count(".") > 1 or digits in ("", "."):
        raise ValueError(_("'{text}' is not an amount").format(text=text.strip()))
    amount = Decimal(digits)
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(_("'{text}' is not an amount").format(text=text.strip()))
    return sign * amount


def grouped_iban(iban: str) -> str:
    """DE02 1203 0000 0000 2020 51: how IBANs are printed, so they can be read out and compared."""
    compact = iban.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
