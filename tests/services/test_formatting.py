"""Amounts, counts, percentages and dates as each UI language writes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.services.formatting import format_amount, format_count, format_date, format_percent, format_score


@pytest.mark.parametrize(
    ("language", "count", "amount", "percent", "day", "score"),
    [
        ("de", "47.252", "-1.234,56\u00a0€", "1,5\u00a0%", "04.12.2026", "97\u00a0%"),
        ("en", "47,252", "-€1,234.56", "1.5%", "2026-12-04", "97%"),
    ],
)
def test_each_language_writes_its_own_separators(
    language: str, count: str, amount: str, percent: str, day: str, score: str
) -> None:
    assert format_count(47_252, language=language) == count
    assert format_count(999, language=language) == "999"
    assert format_amount(Decimal("-1234.56"), language=language) == amount
    assert format_percent(Decimal("1.50"), language=language) == percent
    assert format_date(date(2026, 12, 4), language=language) == day
    assert format_score(0.9666, language=language) == score
