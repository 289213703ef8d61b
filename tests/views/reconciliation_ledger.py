"""A small ledger with seven invoices and seven March payments (three matched automatically), for GUI tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from ledger_templates import new_ledger
from sqlalchemy import select
from statement_files import Booking, mt940

from app.models.schema import Transaction
from app.services.invoices.importing import import_invoices
from app.services.ledger.database import Ledger
from app.services.reconciliation.automatic import after_statement_import
from app.services.statements.importing import import_statement_files

PASSPHRASE = "pw"
OWN = "DE89370400440532013000"
INVOICES = """Rechnungsnummer;Kunde;Kundennummer;IBAN;Rechnungsdatum;Fällig am;Betrag brutto
RE-2026-0042;Müller Metallbau GmbH;K10001;DE02120300000000202051;02.03.2026;16.03.2026;1.190,00
RE-2026-0043;Schmidt & Söhne KG;K10002;;03.03.2026;17.03.2026;2.380,50
RE-2026-0050;Bäckerei Weber e.K.;K10003;;04.03.2026;18.03.2026;500,00
RE-2026-0051;Bäckerei Weber e.K.;K10003;;05.03.2026;19.03.2026;300,00
RE-2026-0060;Neumann Logistik GmbH;K10005;DE75512108001245126199;05.03.2026;19.03.2026;750,00
RE-2026-0061;Neumann Logistik GmbH;K10005;;06.03.2026;20.03.2026;420,00
RE-2026-0070;Lehmann KG;K10007;DE12500105170648489890;06.03.2026;20.03.2026;999,00
"""
MARCH = [
    Booking(date(2026, 3, 10), Decimal("1190.00"), "Müller Metallbau GmbH", "DE02120300000000202051",
            "Rechnung RE-2026-0042"),
    Booking(date(2026, 3, 11), Decimal("2380.50"), "Schmidt und Soehne", "DE27100777770209299700", "RE 2026 0043"),
    Booking(date(2026, 3, 12), Decimal("800.00"), "Weber Backwaren", "DE91100000000123456789", "Sammelzahlung"),
    Booking(date(2026, 3, 12), Decimal("1234.56"), "Finanzamt Berlin", "DE10100000000010001520", "Erstattung USt 2025"),
    Booking(date(2026, 3, 14), Decimal("750.00"), "P. Neumann privat", "DE44500105175407324931", "Zahlung"),
    Booking(date(2026, 3, 15), Decimal("999.00"), "Lehmann KG", "DE12500105170648489890", "Lastschrift RE-2026-0070",
            "E2E-70", "171"),
]  # fmt: skip


@dataclass
class SmallLedger:
    ledger: Ledger
    path: Path
    tx: dict[str, int]  # counterparty (as stored) -> transaction id

    def state(self, name: str) -> str:
        with self.ledger.session() as session:
            tx = session.get(Transaction, self.tx[name])
            assert tx is not None
            return tx.reconciliation


def build(folder: Path, *, match: bool = True) -> SmallLedger:
    """Invoices, then the statement; with `match` the statement import books the clear payments (and notifies)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "small.kontor"
    ledger = new_ledger(path, PASSPHRASE, company_name="Abgleich GmbH")
    (folder / "invoices.csv").write_text(INVOICES, encoding="utf-8")
    import_invoices(ledger, folder / "invoices.csv", actor="test")
    statement = folder / "march.sta"
    statement.write_text(mt940(OWN, MARCH, opening=Decimal("0")), encoding="utf-8")
    [result] = import_statement_files(
        ledger, [statement], actor="test", after_import=after_statement_import("test") if match else None
    )
    assert result.ok, result.error
    with ledger.session() as session:
        tx = {t.counterparty_name: t.id for t in session.scalars(select(Transaction).order_by(Transaction.id))}
    return SmallLedger(ledger, path, tx)
