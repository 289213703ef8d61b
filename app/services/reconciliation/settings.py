"""The reconciliation settings as a person edits them: Skonto rules and number patterns as text, checked here."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from app.services.errors import KontorError
from app.services.formatting import format_amount, parse_amount
from app.services.i18n import _
from app.services.matching.config import SEARCH_FIELDS, MatchConfig, SkontoRule


class SettingsInputError(KontorError, ValueError):
    """A value a person typed that cannot be used; `field` names the input for the form."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class MatchingForm:
    """What the Settings page shows and edits, in the units a bookkeeper thinks in (percent, days, euros)."""

    patterns: str  # one regular expression per line; empty = detect from the invoices at each run
    search_fields: tuple[str, ...]
    threshold_percent: int
    margin_percent: int
    tolerance: str
    skonto: str  # "2/14; 3/7" = 2 % within 14 days, 3 % within 7 days
    multiple_hits: bool


def skonto_text(rules: list[SkontoRule]) -> str:
    return "; ".join(f"{rule.percent.normalize():f}/{rule.days}" for rule in rules)


def parse_skonto(text: str) -> list[SkontoRule]:
    rules = []
    for part in filter(None, (item.strip() for item in text.replace(",", ".").split(";"))):
        percent, slash, days = part.partition("/")
        try:
            rule = SkontoRule(Decimal(percent.strip().rstrip("%").strip()), int(days.strip()))
        except (InvalidOperation, ValueError):
            rule = None
        if not slash or rule is None or not (0 < rule.percent < 100) or rule.days <= 0:
            raise SettingsInputError(
                "skonto", _("'{part}' is not PERCENT/DAYS, e.g. 2/14 for 2 % within 14 days").format(part=part)
            )
        rules.append(rule)
    return rules


def check_patterns(text: str) -> list[str]:
    patterns = [line.strip() for line in text.splitlines() if line.strip()]
    for number, pattern in enumerate(patterns, start=1):
        try:
            re.compile(pattern)
        except re.error as error:
            raise SettingsInputError(
                "patterns", _("line {line}: not a valid pattern: {error}").format(line=number, error=error)
            ) from error
    return patterns


def form_of(config: MatchConfig) -> MatchingForm:
    return MatchingForm(
        patterns="\n".join(config.number_patterns),
        search_fields=tuple(config.search_fields),
        threshold_percent=round(config.auto_threshold * 100),
        margin_percent=round(config.margin * 100),
        tolerance=format_amount(config.tolerance_amount),
        skonto=skonto_text(config.skonto),
        multiple_hits=config.multiple_hits,
    )


def apply_form(config: MatchConfig, form: MatchingForm) -> MatchConfig:
    """The stored settings with the form's values; raises SettingsInputError naming the field."""
    try:
        tolerance = parse_amount(form.tolerance)
    except ValueError:
        tolerance = None
    if tolerance is None or tolerance < 0:
        raise SettingsInputError("tolerance", _("'{text}' is not an amount").format(text=form.tolerance))
    if not form.search_fields or any(name not in SEARCH_FIELDS for name in form.search_fields):
        raise SettingsInputError("search_fields", _("Choose at least one field to search for invoice numbers."))
    return replace(
        config,
        number_patterns=check_patterns(form.patterns),
        search_fields=tuple(form.search_fields),
        auto_threshold=form.threshold_percent / 100,
        margin=form.margin_percent / 100,
        tolerance_amount=tolerance,
        skonto=parse_skonto(form.skonto),
        multiple_hits=form.multiple_hits,
    )
