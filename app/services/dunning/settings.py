"""The ledger's dunning settings: levels (days, fee, interest, texts), the base-rate table, the €40 lump sum,
the payment period and the letterhead. Kept in the company settings' "dunning" section; defaults until saved."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.services.dunning.interest import BASE_RATES
from app.services.errors import KontorError
from app.services.i18n import _
from app.services.ledger.database import Ledger
from app.services.ledger.settings import read_section, write_section

SECTION = "dunning"


class DunningError(KontorError, ValueError):
    """A dunning action that cannot be done as asked; the message says why."""


# Placeholders a level's text may use: {customer} {total} {deadline} {date} {company} {iban} {bic}
_TEXTS = {
    "de": (
        "sicher ist es im Tagesgeschäft untergegangen: Die folgenden Rechnungen sind noch offen. Bitte überweisen "
        "Sie {total} bis zum {deadline} auf unser Konto {iban}. Falls Sie inzwischen gezahlt haben, betrachten Sie "
        "dieses Schreiben bitte als gegenstandslos.",
        "leider konnten wir zu den folgenden Rechnungen trotz unserer Zahlungserinnerung keinen Zahlungseingang "
        "feststellen. Bitte überweisen Sie {total} einschließlich Verzugszinsen und Mahngebühr bis zum {deadline}.",
        "die folgenden Rechnungen sind trotz Mahnung weiterhin offen. Wir bitten Sie dringend, {total} bis zum "
        "{deadline} zu überweisen.",
        "dies ist unsere letzte Mahnung. Geht der Betrag von {total} nicht bis zum {deadline} ein, werden wir die "
        "Forderung ohne weitere Ankündigung gerichtlich geltend machen oder einem Inkassounternehmen übergeben.",
    ),
    "en": (
        "perhaps it slipped through: the invoices below are still open. Please transfer {total} to our account "
        "{iban} by {deadline}. If you have paid in the meantime, please disregard this letter.",
        "despite our reminder we have not received payment of the invoices below. Please transfer {total}, "
        "including default interest and the dunning fee, by {deadline}.",
        "the invoices below are still open despite our dunning notice. We urgently ask you to transfer {total} by "
        "{deadline}.",
        "this is our final notice. If {total} has not reached us by {deadline}, we will take legal action or pass "
        "the claim to a collection agency without further notice.",
    ),
}


@dataclass(frozen=True, slots=True)
class Level:
    """One dunning level; `days` count from the due date (level 1) or from the previous letter."""

    number: int
    name_de: str
    name_en: str
    days: int
    fee_cents: int
    interest: bool  # default interest (and the lump sum, where chosen) on letters of this level
    text_de: str
    text_en: str

    def name(self, language: str) -> str:
        return self.name_de if language == "de" else self.name_en

    def text(self, language: str) -> str:
        return self.text_de if language == "de" else self.text_en


DEFAULT_LEVELS = (
    Level(1, "Zahlungserinnerung", "Payment reminder", 7, 0, False, _TEXTS["de"][0], _TEXTS["en"][0]),
    Level(2, "1. Mahnung", "First dunning notice", 14, 500, True, _TEXTS["de"][1], _TEXTS["en"][1]),
    Level(3, "2. Mahnung", "Second dunning notice", 14, 1000, True, _TEXTS["de"][2], _TEXTS["en"][2]),
    Level(4, "Letzte Mahnung", "Final notice", 14, 1500, True, _TEXTS["de"][3], _TEXTS["en"][3]),
)


@dataclass(frozen=True, slots=True)
class Letterhead:
    """What the letter says about the sender beyond the company name (the account comes from the ledger)."""

    address: str = ""  # lines separated by newlines: street, postcode and town
    phone: str = ""
    email: str = ""
    vat_id: str = ""


@dataclass(frozen=True, slots=True)
class DunningSettings:
    levels: tuple[Level, ...] = DEFAULT_LEVELS
    base_rates: tuple[tuple[date, Decimal], ...] = BASE_RATES
    lump_sum: bool = False  # § 288 (5) BGB: €40 per invoice on letters with interest, businesses only
    payment_days: int = 10  # the deadline on a letter: its date plus these days
    language: str = "de"
    letterhead: Letterhead = field(default_factory=Letterhead)

    def level(self, number: int) -> Level:
        return self.levels[number - 1]

    def with_base_rate(self, valid_from: date, rate: Decimal) -> DunningSettings:
        """The table with a newly published rate (replacing one of the same date)."""
        rates = {day: value for day, value in self.base_rates} | {valid_from: rate}
        return replace(self, base_rates=tuple(sorted(rates.items())))


def load_settings(session: Session) -> DunningSettings:
    stored: dict[str, Any] = read_section(session, SECTION, {}) or {}
    defaults = DunningSettings()
    levels = tuple(Level(**level) for level in stored["levels"]) if stored.get("levels") else defaults.levels
    rates = (
        tuple((date.fromisoformat(day), Decimal(rate)) for day, rate in stored["base_rates"])
        if stored.get("base_rates")
        else defaults.base_rates
    )
    return DunningSettings(
        levels=levels,
        base_rates=rates,
        lump_sum=bool(stored.get("lump_sum", defaults.lump_sum)),
        payment_days=int(stored.get("payment_days", defaults.payment_days)),
        language=str(stored.get("language", defaults.language)),
        letterhead=Letterhead(**stored.get("letterhead", {})),
    )


def save_settings(session: Session, settings: DunningSettings, *, actor: str, summary: str) -> None:
    value = {
        "levels": [asdict(level) for level in settings.levels],
        "base_rates": [[day.isoformat(), str(rate)] for day, rate in settings.base_rates],
        "lump_sum": settings.lump_sum,
        "payment_days": settings.payment_days,
        "language": settings.language,
        "letterhead": asdict(settings.letterhead),
    }
    write_section(session, SECTION, value, actor=actor, summary=summary)


def update_settings(ledger: Ledger, *, actor: str, **changes: Any) -> DunningSettings:
    """Change some settings (dataclass field names; `letterhead` fields by their own names), audited."""
    head_fields = {name: changes.pop(name) for name in ("address", "phone", "email", "vat_id") if name in changes}
    with ledger.writer() as session:
        settings = load_settings(session)
        settings = replace(settings, letterhead=replace(settings.letterhead, **head_fields), **changes)
        if settings.payment_days < 1 or settings.language not in ("de", "en"):
            raise DunningError(_("The payment period must be at least one day, the letter language de or en."))
        summary = "dunning settings: " + ", ".join(sorted([*changes, *head_fields]))
        save_settings(session, settings, actor=actor, summary=summary)
        return settings


def add_base_rate(ledger: Ledger, valid_from: date, rate: Decimal, *, actor: str) -> DunningSettings:
    """A newly published base rate (the Bundesbank announces it for 1 January and 1 July)."""
    with ledger.writer() as session:
        settings = load_settings(session).with_base_rate(valid_from, rate)
        save_settings(session, settings, actor=actor, summary=f"base rate {valid_from.isoformat()} {rate} %")
        return settings


def change_level(ledger: Ledger, number: int, *, actor: str, **changes: Any) -> Level:
    """Change one level's name, days, fee, interest flag or texts; the texts keep their placeholders valid."""
    with ledger.writer() as session:
        settings = load_settings(session)
        if not 1 <= number <= len(settings.levels):
            raise DunningError(_("There is no dunning level {number}.").format(number=number))
        level = replace(settings.level(number), **changes)
        if level.days < 1 or level.fee_cents < 0:
            raise DunningError(_("A level waits at least one day and its fee is 0 or more."))
        for text in (level.text_de, level.text_en):
            try:
                text.format(customer="", total="", deadline="", date="", company="", iban="", bic="")
            except (KeyError, IndexError, ValueError) as error:
                raise DunningError(
                    _("The text of level {number} has an unknown placeholder: {error}").format(
                        number=number, error=error
                    )
                ) from None
        levels = tuple(level if other.number == number else other for other in settings.levels)
        save_settings(session, replace(settings, levels=levels), actor=actor, summary=f"dunning level {number}")
        return level
