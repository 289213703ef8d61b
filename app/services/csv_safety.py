"""CSV that a spreadsheet cannot run: text from banks and invoice lists must never become a live formula.

A counterparty named `=HYPERLINK("http://…";"Klick")` in a bank statement, or a customer `@SUM(A1)` in an
invoice list, would be a formula in Excel or LibreOffice when the bookkeeper opens Kontor's export. OWASP's
"CSV Injection" advice is to prefix every cell that starts with `=`, `+`, `-`, `@`, tab or carriage return
with an apostrophe, which makes the spreadsheet show it as text. The full-width forms of the four signs
are included, because Excel in East Asian locales reads them as formula signs too.

Kontor applies that to every *text* cell, but not to numbers: an amount of -12.50 must stay a number the
bookkeeper can add up, and a number cannot carry a formula. So amounts are written as numbers (a `Decimal`,
an `int`, or a `NumberCell` made by `number_cell` from a `Decimal` in the user's decimal notation), and any
`str` is treated as text, whatever it looks like — "-12.50" arriving as text from a bank file gets its apostrophe.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import IO, Any

FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


class NumberCell(str):
    """A number already formatted for a spreadsheet (e.g. "-12,50" in German); written as it is."""

    __slots__ = ()


def number_cell(value: Decimal | int, *, places: int = 2, decimal_mark: str = ".") -> NumberCell:
    """A `Decimal` as plain digits (no thousands separator, no currency), in the reader's decimal notation."""
    text = f"{Decimal(value):.{places}f}"
    return NumberCell(text.replace(".", decimal_mark))


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would read as a formula, prefixed with `'`; numbers and empty cells unchanged."""
    if isinstance(value, str) and not isinstance(value, NumberCell) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


class SafeWriter:
    """`csv.writer` whose rows pass through `safe_cell`; the only writer Kontor uses for CSV and clipboard text."""

    def __init__(self, stream: IO[str], **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])
