"""Skonto as e-invoices state it: tiers of days after the invoice date and a percentage of the gross amount.

XRechnung writes them into the payment terms (`#SKONTO#TAGE=14#PROZENT=2.00#`, optionally `BASISBETRAG=…#`,
one line per tier); ZUGFeRD EXTENDED has them as elements, which the reader turns into the same tiers. The
ledger keeps the tiers in that text form, so the seller's terms can be read back as they were given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

_TIER = re.compile(r"#SKONTO#TAGE=(\d+)#PROZENT=(\d+(?:\.\d+)?)#(?:BASISBETRAG=(-?\d+(?:\.\d+)?)#)?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SkontoTier:
    days: int
    percent: Decimal
    basis: Decimal | None = None  # the amount the percentage applies to; None: the invoice's gross total


@dataclass(frozen=True, slots=True)
class SkontoOffer:
    """The Skonto still open on a given day: deduct `cents` when the money arrives by `until`."""

    until: date
    percent: Decimal
    cents: int


def parse_tiers(text: str) -> tuple[SkontoTier, ...]:
    return tuple(
        SkontoTier(int(days), Decimal(percent), Decimal(basis) if basis else None)
        for days, percent, basis in _TIER.findall(text)
    )


def format_tiers(tiers: tuple[SkontoTier, ...]) -> str:
    lines = []
    for tier in tiers:
        basis = f"BASISBETRAG={tier.basis:.2f}#" if tier.basis is not None else ""
        lines.append(f"#SKONTO#TAGE={tier.days}#PROZENT={tier.percent:.2f}#{basis}")
    return "\n".join(lines)


def best_offer(tiers: tuple[SkontoTier, ...], *, issued_on: date, gross_cents: int, on: date) -> SkontoOffer | None:
    """The largest Skonto whose period (counted from the invoice date) has not ended on `on`."""
    offers = []
    for tier in tiers:
        until = issued_on + timedelta(days=tier.days)
        if tier.percent <= 0 or until < on:
            continue
        basis = tier.basis * 100 if tier.basis is not None else Decimal(gross_cents)
        cents = int((basis * tier.percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        offers.append(SkontoOffer(until, tier.percent, cents))
    return max(offers, key=lambda offer: (offer.cents, -offer.until.toordinal()), default=None)
