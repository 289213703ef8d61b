"""Seeded twelve-month booking history of a small company, so the demo and tests see realistic statements."""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from schwifty import IBAN

from app.demobank.state import Account, Booking, money

InvoicePayment = tuple[str, str, str, Decimal]  # invoice number, customer name, customer IBAN, amount

# Real BLZs of large German banks, used only to give counterparties valid IBANs.
_COUNTERPARTY_BLZ = ("10070000", "20041111", "37040044", "50010517", "70150000", "43060967", "76026000")


@dataclass(frozen=True)
class Party:
    """A counterparty with a stable, valid IBAN."""

    name: str
    iban: str
    bic: str


def party(name: str) -> Party:
    """Derive a stable IBAN from the name, so the same supplier always has the same account."""
    crc = zlib.crc32(name.encode("utf-8"))
    iban = IBAN.generate(
        "DE",
        bank_code=_COUNTERPARTY_BLZ[crc % len(_COUNTERPARTY_BLZ)],
        account_code=str(1_000_000_000 + crc % 8_999_999_999),
    )
    return Party(name, str(iban), str(iban.bic or ""))


_EMPLOYEES = (
    ("Julia Hoffmann", "3180.42"),
    ("Markus Weber", "2945.17"),
    ("Sabine Krüger", "2410.88"),
    ("Tobias Schulz", "1980.35"),
)
_LANDLORD = "Hausverwaltung Schneider & Partner GbR"
_DEBITS = (  # creditor, creditor id, mandate prefix, purpose, amount, day of month
    ("Stadtwerke Leipzig GmbH", "DE44ZZZ00000012345", "SWL", "Abschlag Strom Gewerbe", "214.00", 5),
    (
        "Telekom Deutschland GmbH",
        "DE79ZZZ00000004567",
        "TDG",
        "Telekom Rechnung Festnetz/Internet",
        "69.95",
        12,
    ),
    ("Allianz Versicherungs-AG", "DE17ZZZ00000031415", "ALZ", "Betriebshaftpflicht Beitrag", "118.60", 1),
    ("Vodafone GmbH", "DE11ZZZ00000042424", "VDF", "Mobilfunk Kundenkonto", "47.50", 20),
)
_CARD_SHOPS = (
    ("REWE Markt GmbH", "12.40", "64.90"),
    ("ARAL Tankstelle", "45.00", "92.00"),
    ("Deutsche Bahn Fernverkehr", "29.90", "149.00"),
    ("Staples Bürobedarf", "18.50", "210.00"),
    ("Amazon EU S.a.r.l.", "9.99", "189.00"),
    ("Hotel am Markt Dresden", "89.00", "178.00"),
)
_DEFAULT_CUSTOMERS = (
    "Bäckerei Schmidt OHG",
    "Autohaus Becker GmbH",
    "Praxis Dr. med. Yilmaz",
    "Gärtnerei Wagner",
    "Müller Logistik GmbH & Co. KG",
    "Hotel Zur Post GmbH",
    "Ingenieurbüro Fischer",
    "Kanzlei Neumann & Koch",
)


def _working_day(day: date) -> date:
    """Move a weekend date to the next Monday, as banks book only on working days."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _months(start: date, end: date) -> list[date]:
    """First days of all months touching [start, end]."""
    result, cursor = [], start.replace(day=1)
    while cursor <= end:
        result.append(cursor)
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return result


def default_invoices(today: date, seed: int) -> list[InvoicePayment]:
    """Customer payments for a ledger the caller did not provide."""
    rng = random.Random(seed * 7919)
    year_start = today.year - 1
    return [
        (
            f"RE-{year_start + (i >= 36)}-{i % 36 + 1:04d}",
            name,
            party(name).iban,
            money(Decimal(rng.randrange(45_000, 480_000)) / 100),
        )
        for i, name in enumerate(rng.choice(_DEFAULT_CUSTOMERS) for _ in range(72))
    ]


class HistoryBuilder:
    """Appends bookings for one period; separate from DemoBank so the generator can be tested alone."""

    def __init__(self, seed: int, today: date, next_reference: Callable[[], str]) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.start = today - timedelta(days=365)
        self.next_reference = next_reference

    def _book(
        self,
        account: Account,
        day: date,
        amount: Decimal,
        who: Party,
        purpose: str,
        gvc: str,
        text: str,
        *,
        e2e: str = "NOTPROVIDED",
        mandate: str = "",
        creditor_id: str = "",
    ) -> None:
        """Append one booking if it falls inside the history window."""
        day = _working_day(day)
        if self.start <= day <= self.today:
            account.bookings.append(
                Booking(
                    day,
                    day,
                    money(amount),
                    who.name,
                    who.iban,
                    who.bic,
                    purpose,
                    gvc,
                    text,
                    self.next_reference(),
                    e2e,
                    mandate,
                    creditor_id,
                )
            )

    def business(
        self, account: Account, invoices: Sequence[InvoicePayment], issued: Mapping[str, date] | None = None
    ) -> None:
        """Salaries, rent, direct debits, card payments, fees and customer payments of a business account.

        A payment of an invoice whose issue date is in `issued` comes a few days after it, never before."""
        rng = self.rng
        for month in _months(self.start, self.today):
            tag = f"{month:%m/%Y}"
            for staff_number, (name, salary) in enumerate(_EMPLOYEES, start=1):
                self._book(
                    account,
                    month.replace(day=27),
                    -Decimal(salary),
                    party(name),
                    f"Gehalt {tag}",
                    "153",
                    "LOHN GEHALT",
                    e2e=f"GEHALT-{month:%Y%m}-P{staff_number:03d}",
                )
            self._book(
                account,
                month.replace(day=3),
                Decimal("-1850.00"),
                party(_LANDLORD),
                f"Miete Büro Lindenstraße 12, {tag}",
                "117",
                "DAUERAUFTRAG",
                e2e=f"MIETE-{month:%Y%m}",
            )
            for creditor, creditor_id, prefix, purpose, usual, day_of_month in _DEBITS:
                varied = Decimal(usual) + (Decimal(rng.randrange(-800, 800)) / 100 if prefix == "SWL" else 0)
                self._book(
                    account,
                    month.replace(day=day_of_month),
                    -varied,
                    party(creditor),
                    f"{purpose} {tag}",
                    "105",
                    "FOLGELASTSCHRIFT",
                    e2e=f"{prefix}{month:%Y%m}{rng.randrange(10**6):06d}",
                    mandate=f"{prefix}-M-{zlib.crc32(account.iban.encode()) % 10**8:08d}",
                    creditor_id=creditor_id,
                )
            for _ in range(rng.randrange(3, 7)):
                shop, low, high = rng.choice(_CARD_SHOPS)
                amount = money(Decimal(rng.randrange(int(Decimal(low) * 100), int(Decimal(high) * 100))) / 100)
                day = month + timedelta(days=rng.randrange(0, 28))
                self._book(
                    account,
                    day,
                    -amount,
                    party(shop),
                    f"{shop} {day:%d.%m.} Debitk.{rng.randrange(1, 9)} {day:%Y-%m-%d}T{rng.randrange(8, 19)}:"
                    f"{rng.randrange(60):02d}",
                    "106",
                    "KARTENZAHLUNG",
                )
            last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            self._book(
                account,
                last,
                Decimal("-14.90"),
                Party("Kontor Demobank", account.iban, account.bic),
                f"Kontoführung {tag} Entgeltabschluss",
                "805",
                "ENTGELTABSCHLUSS",
            )
        span = (self.today - self.start).days
        for i, (number, name, iban, paid) in enumerate(invoices):
            day = self.start + timedelta(days=(i + 1) * span // (len(invoices) + 1) + rng.randrange(-3, 4))
            if issued and number in issued:
                day = max(day, issued[number] + timedelta(days=rng.randrange(2, 10)))
            payer = Party(name, iban, _bic_of(iban)) if iban else party(name)
            self._book(
                account,
                min(day, self.today),
                money(paid),
                payer,
                f"{number} Vielen Dank",
                "166",
                "GUTSCHR. UEBERWEISUNG",
                e2e=number,
            )
        account.bookings.sort(key=lambda b: b.booking_date)

    def savings(self, account: Account, business: Account) -> None:
        """Quarterly interest and a few transfers between the business and the savings account."""
        for month in _months(self.start, self.today):
            if month.month in (1, 4, 7, 10):
                self._book(
                    account,
                    month,
                    Decimal(self.rng.randrange(2_000, 9_000)) / 100,
                    Party("Kontor Demobank", account.iban, account.bic),
                    f"Zinsgutschrift Quartal bis {month - timedelta(days=1):%d.%m.%Y}",
                    "814",
                    "ZINSEN",
                )
            if month.month in (3, 9):
                amount = Decimal(self.rng.randrange(5, 15) * 1000)
                owner = Party(business.owner, business.iban, business.bic)
                self._book(
                    business,
                    month.replace(day=15),
                    -amount,
                    Party(account.owner, account.iban, account.bic),
                    "Umbuchung Tagesgeld",
                    "116",
                    "UEBERWEISUNG",
                    e2e=f"UMB-{month:%Y%m}",
                )
                self._book(
                    account,
                    month.replace(day=15),
                    amount,
                    owner,
                    "Umbuchung Tagesgeld",
                    "166",
                    "GUTSCHR. UEBERWEISUNG",
                    e2e=f"UMB-{month:%Y%m}",
                )
        account.bookings.sort(key=lambda b: b.booking_date)
        business.bookings.sort(key=lambda b: b.booking_date)


def _bic_of(iban: str) -> str:
    """BIC of a German IBAN, empty when schwifty does not know the bank."""
    try:
        return str(IBAN(iban).bic or "")
    except ValueError:
        return ""
