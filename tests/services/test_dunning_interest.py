"""§ 288 BGB default interest, checked against cases computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.services.dunning.interest import (
    BASE_RATES,
    BaseRateMissingError,
    default_interest_cents,
    interest_periods,
)


def test_a_business_pays_base_rate_plus_nine_points_per_day() -> None:
    # 1,000.00 € due 2025-01-31, interest 2025-02-01 … 2025-03-02 = 30 days at 2.27 + 9 = 11.27 %:
    # 100000 ct × 11.27 % × 30 / 365 = 926.30… ct -> 9.26 €
    assert default_interest_cents(100_000, date(2025, 1, 31), date(2025, 3, 2), BASE_RATES, consumer=False) == 926


def test_a_consumer_pays_base_rate_plus_five_points() -> None:
    # same claim and days at 2.27 + 5 = 7.27 %: 100000 × 0.0727 × 30 / 365 = 597.53… ct
    assert default_interest_cents(100_000, date(2025, 1, 31), date(2025, 3, 2), BASE_RATES, consumer=True) == 598


def test_a_base_rate_change_inside_the_period_splits_it() -> None:
    # 5,000.00 € due 2025-06-15: 2025-06-16 … 06-30 = 15 days at 11.27 %, 07-01 … 07-31 = 31 days at 10.27 %
    # 500000 × (0.1127 × 15 + 0.1027 × 31) / 365 = 500000 × (1.6905 + 3.1837) / 365 = 6676.99 ct
    periods = interest_periods(date(2025, 6, 16), date(2025, 7, 31), BASE_RATES, consumer=False)
    assert [(p.start, p.end, p.rate, p.days) for p in periods] == [
        (date(2025, 6, 16), date(2025, 6, 30), Decimal("11.27"), 15),
        (date(2025, 7, 1), date(2025, 7, 31), Decimal("10.27"), 31),
    ]
    assert default_interest_cents(500_000, date(2025, 6, 15), date(2025, 7, 31), BASE_RATES, consumer=False) == 6677


def test_nothing_before_the_due_date_has_passed() -> None:
    assert default_interest_cents(100_000, date(2025, 3, 1), date(2025, 3, 1), BASE_RATES, consumer=False) == 0


def test_a_period_before_the_known_rates_is_refused() -> None:
    with pytest.raises(BaseRateMissingError):
        default_interest_cents(100_000, date(2020, 1, 1), date(2020, 2, 1), BASE_RATES, consumer=False)
