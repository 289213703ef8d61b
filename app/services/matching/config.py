"""Matching settings a company stores in its ledger, and number patterns guessed from its invoices."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from app.services.matching.numbers import SEPARATORS

SEARCH_FIELDS = ("purpose", "end_to_end_id", "counterparty_name")
UNRELATED_WORDS = (
    "Anzahlung",
    "Erstattung",
    "Gehalt",
    "Lohn",
    "Zinsen",
    "Miete",
    "Finanzamt",
    "Versicherung",
    "Dividende",
    "Kaution",
)
_GROUPS = re.compile(r"[A-Z]+|[0-9]+")
_MAX_PATTERNS = 12
_MIN_DIGITS_WITHOUT_PREFIX = 5


@dataclass(frozen=True, slots=True)
class SkontoRule:
    """'2 % cash discount when paid within 14 days of the invoice date'."""

    percent: Decimal
    days: int


@dataclass(slots=True)
class MatchConfig:
    """Everything a user may tune; amounts are Decimal, stored as strings so JSON keeps them exact."""

    number_patterns: list[str] = field(default_factory=list)
    search_fields: tuple[str, ...] = ("purpose", "end_to_end_id")
    auto_threshold: float = 0.85
    margin: float = 0.15
    min_suggestion_score: float = 0.2
    tolerance_amount: Decimal = Decimal("5.00")
    tolerance_percent: Decimal = Decimal("0")
    overpayment_percent: Decimal = Decimal("10")
    skonto: list[SkontoRule] = field(default_factory=lambda: [SkontoRule(Decimal("2"), 14)])
    skonto_grace_days: int = 3
    multiple_hits: bool = True
    collective_max_invoices: int = 12
    collective_max_candidates: int = 40
    collective_max_steps: int = 20_000
    # Words that mark bookings without an invoice; such a payment is only booked by an invoice number.
    unrelated_words: list[str] = field(default_factory=lambda: list(UNRELATED_WORDS))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("tolerance_amount", "tolerance_percent", "overpayment_percent"):
            data[name] = str(data[name])
        data["search_fields"] = list(self.search_fields)
        data["skonto"] = [{"percent": str(rule.percent), "days": rule.days} for rule in self.skonto]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchConfig:
        """Unknown keys are ignored and missing ones take defaults, so older stored settings still load."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        for name in ("tolerance_amount", "tolerance_percent", "overpayment_percent"):
            if name in known:
                known[name] = Decimal(str(known[name]))
        if "search_fields" in known:
            known["search_fields"] = tuple(f for f in known["search_fields"] if f in SEARCH_FIELDS)
        if "skonto" in known:
            known["skonto"] = [SkontoRule(Decimal(str(r["percent"])), int(r["days"])) for r in known["skonto"]]
        if "number_patterns" in known:
            known["number_patterns"] = [str(p) for p in known["number_patterns"]]
        if "unrelated_words" in known:
            known["unrelated_words"] = [str(w) for w in known["unrelated_words"]]
        return cls(**known)


def detect_patterns(numbers: Iterable[str]) -> list[str]:
    """One pattern per number shape, tolerant to dropped prefixes, other separators and dropped zeros.

    'RE-2026-0042' gives `(?:RE[sep]*)?\\d{4,4}[sep]*\\d{1,4}`; short numbers keep their prefix
    mandatory so that a bare '42' in a purpose is not taken for an invoice. The most specific shapes come first.
    """
    shapes: Counter[tuple[str, ...]] = Counter()
    widths: dict[tuple[str, ...], list[tuple[int, int, bool]]] = {}
    seen_numbers: set[tuple[tuple[str, ...], tuple[int, ...], tuple[bool, ...]]] = set()
    for number in numbers:
        parts = _GROUPS.findall(number.upper())
        shape = tuple(part if part.isalpha() else "#" for part in parts)
        if "#" not in shape:
            continue
        shapes[shape] += 1
        # Numbers of one scheme mostly share their group widths and zeros: each such form widens once.
        form = (shape, tuple(map(len, parts)), tuple(len(part) > 1 and part[0] == "0" for part in parts))
        if form in seen_numbers:
            continue
        seen_numbers.add(form)
        seen = widths.setdefault(shape, [(len(part), 0, False) for part in parts])
        widths[shape] = [
            (min(low, length), max(high, length), padded or zeros)
            for (low, high, padded), length, zeros in zip(seen, form[1], form[2], strict=True)
        ]
    common = [shape for shape, _count in shapes.most_common(_MAX_PATTERNS)]
    # A regex alternation takes the first alternative that matches, not the longest: more digit groups and
    # longer numbers first, so '260719-559' is not cut to '260719' by a six-digit shape.
    common.sort(key=lambda shape: (-shape.count("#"), -sum(low for low, _high, _padded in widths[shape])))
    return [_shape_pattern(shape, widths[shape]) for shape in common]


def _shape_pattern(shape: tuple[str, ...], widths: list[tuple[int, int, bool]]) -> str:
    """The regex of one shape; a digit group that ever had leading zeros may appear without them."""
    prefix_len = 0
    while prefix_len < len(shape) - 1 and shape[prefix_len] != "#":
        prefix_len += 1
    body = []
    # A lone digit group keeps its zeros: '00042' written as '42' is any small number in any text.
    lone = shape == ("#",)
    for part, (low, high, padded) in zip(shape[prefix_len:], widths[prefix_len:], strict=True):
        if part == "#":
            body.append(rf"\d{{{1 if padded and not lone else low},{high}}}")
        else:
            body.append(re.escape(part))
    core = SEPARATORS.join(body)
    if not prefix_len:
        return core
    prefix = SEPARATORS.join(re.escape(part) for part in shape[:prefix_len]) + SEPARATORS
    digits = sum(low for part, (low, _high, _padded) in zip(shape, widths, strict=True) if part == "#")
    return f"(?:{prefix})?{core}" if digits >= _MIN_DIGITS_WITHOUT_PREFIX else f"{prefix}{core}"
