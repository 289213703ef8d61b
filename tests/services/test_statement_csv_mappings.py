"""Bank CSV exports without a built-in profile: a --map spec on top of what was sniffed, saved by name."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import select

from app.cli import main
from app.models.schema import Transaction
from app.services.ledger.database import Ledger
from app.services.statements.bank_csv import CsvMapping
from app.services.statements.csv_mappings import MappingSpecError, mapping_for, parse_spec, saved_mapping
from app.services.statements.importing import import_statement_files

IBAN = "DE89370400440532013000"
CSV = """Datum;Empfänger;Zweck;Wert;Konto
02.03.2026;Müller GmbH;Rechnung RE-1;1.190,00;DE02120300000000202051
03.03.2026;Telekom;Rechnung März;-49,90;DE02100100100006820101
"""


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "hausbank.csv"
    path.write_text(CSV, encoding="cp1252")
    return path


def test_spec_on_top_of_the_sniffed_format(export: Path) -> None:
    mapping = mapping_for(export, "date=Datum,amount=Wert,name=Empfänger,purpose=Zweck,iban=Konto")
    assert (mapping.delimiter, mapping.decimal_comma, mapping.date_format) == (";", True, "%d.%m.%Y")
    assert mapping.purpose == ("Zweck",) and mapping.iban == "Konto"


def test_spec_errors_name_the_field() -> None:
    with pytest.raises(MappingSpecError, match="unknown field 'datum'"):
        parse_spec("datum=Datum", CsvMapping())
    with pytest.raises(MappingSpecError, match="not FIELD=COLUMN"):
        parse_spec("Datum", CsvMapping())
    with pytest.raises(MappingSpecError, match="needs the date column"):
        parse_spec("date=,amount=Wert", CsvMapping())


def test_import_with_a_mapping(tmp_path: Path, export: Path) -> None:
    ledger = new_ledger(tmp_path / "l.kontor", "pw", company_name="C")
    try:
        refused = import_statement_files(ledger, [export], actor="a", account_iban=IBAN)
        assert not refused[0].ok and "give a column mapping" in refused[0].error
        mapping = mapping_for(export, "date=Datum,amount=Wert,name=Empfänger,purpose=Zweck,iban=Konto")
        [result] = import_statement_files(ledger, [export], actor="a", account_iban=IBAN, mapping=mapping)
        assert result.new == 2
        with ledger.session() as session:
            rows = session.scalars(select(Transaction).order_by(Transaction.booked_on)).all()
        assert [(r.counterparty_name, r.amount_cents) for r in rows] == [("Müller GmbH", 119000), ("Telekom", -4990)]
        assert Decimal(rows[0].amount_cents) / 100 == Decimal("1190")
    finally:
        ledger.close()


def test_cli_saves_the_mapping_and_uses_it_by_name(tmp_path: Path, export: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "cli.kontor"
    monkeypatch.setenv("KONTOR_PASSPHRASE", "pw")
    assert main(["--ledger", str(path), "init"]) == 0
    spec = "date=Datum,amount=Wert,name=Empfänger,purpose=Zweck"
    args = ["--ledger", str(path), "import", "statement", str(export), "--account", IBAN]
    assert main([*args, "--map", spec, "--save-profile", "hausbank"]) == 0
    assert "2 new" in capsys.readouterr().out
    assert main([*args, "--profile", "hausbank"]) == 0
    assert "0 new, 2 duplicates skipped" in capsys.readouterr().out
    assert main([*args, "--map", "datum=x"]) == 1
    assert "--map: unknown field 'datum'" in capsys.readouterr().err
    ledger = Ledger.open(path, "pw")
    with ledger.session() as session:
        saved = saved_mapping(session, "hausbank")
    ledger.close()
    assert saved is not None and saved.name == "Empfänger"
