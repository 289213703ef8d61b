"""Strict statement and invoice parsing (issue 11): impossible dates, truncated files, foreign currencies, absurd
amounts, control characters and ZIP or text bombs are refused with file and line, never silently changed."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import func, select, text
from statement_files import Booking, camt053, mt940
from test_cli import kontor

from app.models.schema import BankAccount, Customer, Invoice, Transaction
from app.services.formatting import grouped_iban
from app.services.invoices import importing as invoice_import
from app.services.invoices.importing import InvoiceImportError, import_invoices
from app.services.ledger.database import Ledger
from app.services.statements import reader, worker
from app.services.statements.importing import import_statement_files
from app.services.statements.model import StatementFormatError
from app.services.statements.reader import read_statement_file
from app.services.statements.rows import dedupe_key
from bench.statement_data import write_mt940

IBAN = "DE89370400440532013000"
CUSTOMER = "DE02120300000000202051"
SECRET = "Strikt-Geheim-4711"
ENV = {"KONTOR_PASSPHRASE": SECRET, "KONTOR_USER": "anna"}


def bookings() -> list[Booking]:
    return [
        Booking(date(2026, 3, 2), Decimal("1190.00"), "Müller Metallbau GmbH", CUSTOMER, "Rechnung RE-42", "E2E-42"),
        Booking(date(2026, 3, 4), Decimal("-49.90"), "Telekom Deutschland GmbH", CUSTOMER, "Kundennr 4711"),
    ]


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = new_ledger(tmp_path / "strict.kontor", "pw", company_name="Strikt GmbH")
    yield ledger
    ledger.close()


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def count(ledger: Ledger) -> int:
    with ledger.session() as session:
        return session.scalar(select(func.count(Transaction.id))) or 0


def cli(home: Path, ledger: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return kontor("--ledger", str(ledger), *args, home=home, env=ENV)


def cli_ledger(home: Path) -> Path:
    path = home / "cli.kontor"
    assert cli(home, path, "init", "--company", "Strikt GmbH").returncode == 0
    return path


def cli_count(path: Path) -> int:
    opened = Ledger.open(path, SECRET)
    try:
        return count(opened)
    finally:
        opened.close()


# -- 5: impossible MT940 dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "written"),
    [("61", "991332"), ("61", "000000"), ("61", "241301"), ("61", "240200"), ("60F", "240132"), ("62F", "241300")],
)
def test_impossible_mt940_date_is_a_file_error_with_line(
    ledger: Ledger, tmp_path: Path, tag: str, written: str
) -> None:
    lines = mt940(IBAN, bookings(), opening=Decimal("100")).split("\r\n")
    at = next(index for index, line in enumerate(lines) if line.startswith(f":{tag}:"))
    start = len(tag) + 2 + (1 if tag != "61" else 0)  # the date follows the C/D mark of a balance
    lines[at] = lines[at][:start] + written + lines[at][start + 6 :]
    path = write(tmp_path, "dates.sta", "\r\n".join(lines))

    [result] = import_statement_files(ledger, [path], actor="anna")
    assert not result.ok
    assert result.error.startswith(f"dates.sta: line {at + 1}: ")
    assert written in result.error and "date" in result.error
    assert count(ledger) == 0


def test_mt940_entry_date_with_month_13_is_a_file_error(ledger: Ledger, tmp_path: Path) -> None:
    text = mt940(IBAN, bookings(), opening=Decimal("100")).replace(":61:2603020302C", ":61:2603021302C")
    [result] = import_statement_files(ledger, [write(tmp_path, "entry.sta", text)], actor="anna")
    assert result.error.startswith("entry.sta: line 5: ") and "1302" in result.error
    assert count(ledger) == 0


def test_mt940_day_after_month_end_is_booked_on_the_last_day_with_a_warning(ledger: Ledger, tmp_path: Path) -> None:
    """Banks do send 30 Feb (30/360 value dating): the file imports, but the change is said, with the line."""
    booking = Booking(date(2024, 2, 28), Decimal("10.00"), "Kunde", CUSTOMER, "Zins")
    text = mt940(IBAN, [booking], opening=Decimal("0")).replace(":61:2402280228C", ":61:2402300228C")
    [result] = import_statement_files(ledger, [write(tmp_path, "feb.sta", text)], actor="anna")
    assert result.ok and result.new == 1
    assert result.warnings == ["feb.sta: line 5: the date 240230 does not exist; taken as 2024-02-29"]
    with ledger.session() as session:
        assert session.scalar(select(Transaction.value_on)) == date(2024, 2, 29)


# -- 7: truncated MT940 -----------------------------------------------------------------------------------


def test_truncated_mt940_is_refused_with_line_through_the_cli(kontor_home: Path, tmp_path: Path) -> None:
    full = mt940(IBAN, bookings(), opening=Decimal("100"))
    cut = full[: full.index(":61:", full.index(":61:") + 1) + 18]  # inside the second :61:, no :62F:, no '-'
    path = write(tmp_path, "cut.sta", cut)
    ledger = cli_ledger(kontor_home)

    done = cli(kontor_home, ledger, "import", "statement", str(path))
    assert done.returncode != 0
    assert "cut.sta: line 7: " in done.stderr and "truncated" in done.stderr
    assert "Traceback" not in done.stderr
    assert cli_count(ledger) == 0


def test_mt940_ending_after_a_complete_statement_without_terminator_still_imports(
    ledger: Ledger, tmp_path: Path
) -> None:
    text = mt940(IBAN, bookings(), opening=Decimal("100")).removesuffix("-\r\n")
    [result] = import_statement_files(ledger, [write(tmp_path, "noterm.sta", text)], actor="anna")
    assert result.ok and result.new == 2 and result.warnings == []


def test_mt940_ending_at_a_line_end_without_closing_balance_imports_with_a_warning(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Samples and some exports stop after the last booking: not certainly cut, but the bookkeeper is told."""
    full = mt940(IBAN, bookings(), opening=Decimal("100"))
    text = full[: full.index(":62F:")]
    [result] = import_statement_files(ledger, [write(tmp_path, "open.sta", text)], actor="anna")
    assert result.ok and result.new == 2
    assert result.warnings == [
        "open.sta: line 8: the file ends without a closing balance or '-' after statement STARTUMS/1/1: "
        "it may be cut off; check its last bookings"
    ]


def test_mt942_without_closing_balance_but_terminated_imports(ledger: Ledger, tmp_path: Path) -> None:
    text = mt940(IBAN, bookings(), opening=Decimal("0"), mt942=True)
    [result] = import_statement_files(ledger, [write(tmp_path, "intraday.sta", text)], actor="anna")
    assert result.ok and result.new == 2


# -- 6: currencies ----------------------------------------------------------------------------------------


def usd(text: str) -> str:
    return text.replace("EUR", "USD")


def test_usd_statement_for_the_eur_account_is_refused_not_taken_for_duplicates(ledger: Ledger, tmp_path: Path) -> None:
    eur = write(tmp_path, "eur.sta", mt940(IBAN, bookings(), opening=Decimal("100")))
    [first] = import_statement_files(ledger, [eur], actor="anna")
    assert first.ok and first.new == 2
    dollars = write(tmp_path, "usd.sta", usd(mt940(IBAN, bookings(), opening=Decimal("100"))))

    [result] = import_statement_files(ledger, [dollars], actor="anna")
    assert not result.ok and result.duplicates == 0
    assert result.error.startswith("usd.sta: statement STARTUMS/1/1")
    assert "USD" in result.error and "EUR" in result.error and grouped_iban(IBAN) in result.error
    assert count(ledger) == 2


def test_file_mixing_eur_and_usd_statements_of_one_account_writes_nothing(kontor_home: Path, tmp_path: Path) -> None:
    eur = mt940(IBAN, bookings()[:1], opening=Decimal("100"), statement="1/1")
    dollars = usd(mt940(IBAN, bookings()[1:], opening=Decimal("100"), statement="2/1"))
    path = write(tmp_path, "mixed.sta", eur + dollars)
    ledger = cli_ledger(kontor_home)

    done = cli(kontor_home, ledger, "import", "statement", str(path))
    assert done.returncode != 0 and "mixed.sta: statement STARTUMS/2/1" in done.stderr and "USD" in done.stderr
    assert cli_count(ledger) == 0


def test_camt_entry_in_another_currency_than_its_statement_is_refused_by_name(ledger: Ledger, tmp_path: Path) -> None:
    document = camt053(IBAN, bookings(), opening=Decimal("100"))
    second = document.index('<Amt Ccy="EUR">', document.index("<Ntry>", document.index("<Ntry>") + 1))
    document = document[:second] + '<Amt Ccy="USD">' + document[second + len('<Amt Ccy="EUR">') :]
    [result] = import_statement_files(ledger, [write(tmp_path, "ccy.xml", document)], actor="anna")
    assert result.error == (
        "ccy.xml: statement STMT1: the booking of -49.90\u00a0USD on 2026-03-04 is in USD, the statement in EUR; "
        "nothing imported"
    )
    assert count(ledger) == 0


def test_camt_impossible_date_and_truncated_document_are_line_errors(ledger: Ledger, tmp_path: Path) -> None:
    document = camt053(IBAN, bookings(), opening=Decimal("100"))
    wrong = document.replace("<BookgDt><Dt>2026-03-04</Dt>", "<BookgDt><Dt>2026-02-30</Dt>")
    line = wrong[: wrong.index("2026-02-30")].count("\n") + 1
    cut = document[: document.rindex("<RmtInf>")]
    results = import_statement_files(
        ledger, [write(tmp_path, "feb.xml", wrong), write(tmp_path, "cut.xml", cut)], actor="anna"
    )
    assert results[0].error == f"feb.xml: line {line}: unreadable date '2026-02-30'"
    assert results[1].error.startswith("cut.xml: line ") and "broken XML" in results[1].error
    assert count(ledger) == 0


def test_warnings_show_amounts_in_the_statements_own_currency(ledger: Ledger, tmp_path: Path) -> None:
    text = usd(mt940(IBAN, bookings(), opening=Decimal("100")))
    text = text.replace(":62F:C260304USD1240,10", ":62F:C260304USD1240,00")  # off by ten cents
    [result] = import_statement_files(ledger, [write(tmp_path, "usd.sta", text)], actor="anna")
    assert result.ok and len(result.warnings) == 1
    assert "USD" in result.warnings[0] and "€" not in result.warnings[0]
    with ledger.session() as session:
        assert session.scalar(select(BankAccount.currency)) == "USD"


def test_currency_tells_apart_bookings_with_the_same_key(ledger: Ledger, tmp_path: Path) -> None:
    """A USD booking an earlier version stored on the EUR account does not swallow the real EUR booking."""
    path = write(tmp_path, "eur.sta", mt940(IBAN, bookings(), opening=Decimal("100")))
    [first] = import_statement_files(ledger, [path], actor="anna")
    with ledger.writer() as session:
        session.execute(text("UPDATE transactions SET currency = 'USD' WHERE id = 1"))
        session.execute(text("DELETE FROM transactions WHERE id = 2"))
    [again] = import_statement_files(ledger, [path], actor="anna")
    assert (again.new, again.duplicates) == (2, 0)
    [third] = import_statement_files(ledger, [path], actor="anna")
    assert (third.new, third.duplicates) == (0, 2)


def test_stored_eur_dedupe_keys_are_unchanged() -> None:
    """Ledgers written by earlier versions must keep matching their re-imports: the key of a booking is fixed."""
    assert dedupe_key("2026-03-02", 119000, "E2E-42", "Rechnung", "booked") == "0c163d2377e73ef684143ed658abef8e"
    assert dedupe_key("2026-03-03", -4990, "", "Kundennr 4711 März", "booked") == "a9032fa2266b871d3a6edf7e69fc4099"


# -- 10: absurd amounts -----------------------------------------------------------------------------------


def test_mt940_amount_with_25_digits_is_a_line_error(kontor_home: Path, tmp_path: Path) -> None:
    text = mt940(IBAN, bookings(), opening=Decimal("100")).replace("C1190,00NMSC", "C" + "9" * 25 + ",00NMSC")
    path = write(tmp_path, "huge.sta", text)
    ledger = cli_ledger(kontor_home)
    done = cli(kontor_home, ledger, "import", "statement", str(path))
    assert done.returncode != 0 and "huge.sta: line 5: " in done.stderr and "amount" in done.stderr
    assert "OverflowError" not in done.stderr and "unexpected" not in done.stderr
    assert cli_count(ledger) == 0


def test_mt940_balance_above_a_trillion_is_a_line_error(ledger: Ledger, tmp_path: Path) -> None:
    text = mt940(IBAN, bookings(), opening=Decimal("1000000000001"))
    [result] = import_statement_files(ledger, [write(tmp_path, "rich.sta", text)], actor="anna")
    assert result.error.startswith("rich.sta: line 4: ") and "amount" in result.error


@pytest.mark.parametrize("amount", ["9" * 25, "Infinity", "NaN", "1E+30", "2000000000000.00"])
def test_camt_absurd_amount_is_a_line_error(ledger: Ledger, tmp_path: Path, amount: str) -> None:
    document = camt053(IBAN, bookings(), opening=Decimal("100")).replace(">1190.00<", f">{amount}<")
    line = document[: document.index(f">{amount}<")].count("\n") + 1
    [result] = import_statement_files(ledger, [write(tmp_path, "huge.xml", document)], actor="anna")
    assert result.error.startswith(f"huge.xml: line {line}: ") and "amount" in result.error
    assert count(ledger) == 0


def test_bank_csv_amount_with_25_digits_is_a_line_error(ledger: Ledger, tmp_path: Path) -> None:
    csv_text = (
        '"Auftragskonto";"Buchungstag";"Valutadatum";"Buchungstext";"Verwendungszweck";'
        '"Beguenstigter/Zahlungspflichtiger";"Kontonummer";"BLZ";"Betrag";"Waehrung";"Info"\n'
        f'"{IBAN}";"02.03.26";"02.03.26";"GUTSCHRIFT";"RE-42";"Kunde";"{CUSTOMER}";"COBADEFFXXX";'
        '"10,00";"EUR";"Umsatz gebucht"\n'
        f'"{IBAN}";"03.03.26";"03.03.26";"GUTSCHRIFT";"RE-43";"Kunde";"{CUSTOMER}";"COBADEFFXXX";'
        f'"{"9" * 25},00";"EUR";"Umsatz gebucht"\n'
    )
    [result] = import_statement_files(ledger, [write(tmp_path, "umsatz.csv", csv_text)], actor="anna")
    assert result.error.startswith("umsatz.csv: line 3: ") and "amount" in result.error
    assert count(ledger) == 0


def test_bank_csv_spelling_the_currency_as_a_sign_books_on_the_eur_account(ledger: Ledger, tmp_path: Path) -> None:
    csv_text = (
        '"Auftragskonto";"Buchungstag";"Valutadatum";"Buchungstext";"Verwendungszweck";'
        '"Beguenstigter/Zahlungspflichtiger";"Kontonummer";"BLZ";"Betrag";"Waehrung";"Info"\n'
        f'"{IBAN}";"02.03.26";"02.03.26";"GUTSCHRIFT";"RE-42";"Kunde";"{CUSTOMER}";"COBADEFFXXX";'
        '"10,00";"€";"Umsatz gebucht"\n'
        f'"{IBAN}";"03.03.26";"03.03.26";"GUTSCHRIFT";"RE-43";"Kunde";"{CUSTOMER}";"COBADEFFXXX";'
        '"12,00";"Euro";"Umsatz gebucht"\n'
    )
    eur = write(tmp_path, "eur.sta", mt940(IBAN, bookings(), opening=Decimal("100")))
    [first, result] = import_statement_files(ledger, [eur, write(tmp_path, "umsatz.csv", csv_text)], actor="anna")
    assert first.ok and result.ok and result.new == 2
    with ledger.session() as session:
        assert set(session.scalars(select(Transaction.currency))) == {"EUR"}


def test_bank_csv_control_characters_are_stripped_like_in_mt940(ledger: Ledger, tmp_path: Path) -> None:
    csv_text = (
        '"Auftragskonto";"Buchungstag";"Valutadatum";"Buchungstext";"Verwendungszweck";'
        '"Beguenstigter/Zahlungspflichtiger";"Kontonummer";"BLZ";"Betrag";"Waehrung";"Info"\n'
        f'"{IBAN}";"02.03.26";"02.03.26";"GUTSCHRIFT";"RE-\x0042";"M\x00\x07ller GmbH\x1b";"{CUSTOMER}";'
        '"COBADEFFXXX";"10,00";"EUR";"Umsatz gebucht"\n'
    )
    [result] = import_statement_files(ledger, [write(tmp_path, "umsatz.csv", csv_text)], actor="anna")
    assert result.ok and result.new == 1
    with ledger.session() as session:
        booking = session.scalar(select(Transaction))
        assert booking is not None and (booking.counterparty_name, booking.purpose) == ("Mller GmbH", "RE-42")


INVOICE_HEADER = "Rechnungsnummer;Kunde;Kundennummer;Rechnungsdatum;Betrag\n"


def test_invoice_amount_with_25_digits_is_a_row_error_through_the_cli(kontor_home: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path, "rechnungen.csv", INVOICE_HEADER + "RE-1;Kunde A;K1;01.03.2026;100,00\n"
        f"RE-2;Kunde B;K2;02.03.2026;{'9' * 25},00\n",
    )  # fmt: skip
    ledger = cli_ledger(kontor_home)
    done = cli(kontor_home, ledger, "import", "invoices", str(path))
    assert done.returncode != 0
    assert "rechnungen.csv" in done.stderr and "row 3: column Betrag (amount)" in done.stderr
    assert "OverflowError" not in done.stderr and "unexpected" not in done.stderr
    opened = Ledger.open(ledger, SECRET)
    try:
        with opened.session() as session:
            assert session.scalar(select(func.count(Invoice.id))) == 0
    finally:
        opened.close()


# -- 11: control characters in invoices -------------------------------------------------------------------


def test_invoice_control_characters_are_stripped_like_in_statements(ledger: Ledger, tmp_path: Path) -> None:
    path = write(
        tmp_path, "nul.csv", INVOICE_HEADER + "RE-\x001;Müller\x00 GmbH\x07;K\x1b1;01.03.2026;100,00\n"
    )  # fmt: skip
    result = import_invoices(ledger, path, actor="anna")
    assert result.new == 1
    with ledger.session() as session:
        invoice = session.scalar(select(Invoice))
        customer = session.scalar(select(Customer))
        assert invoice is not None and customer is not None
        assert (invoice.number, customer.name, customer.number) == ("RE-1", "Müller GmbH", "K1")


def test_invoice_file_of_nul_bytes_is_not_a_text_file(ledger: Ledger, tmp_path: Path) -> None:
    with pytest.raises(InvoiceImportError, match=r"zeros\.csv: .*not a text file"):
        import_invoices(ledger, write(tmp_path, "zeros.csv", b"\x00" * 4096), actor="anna")


def test_invoice_file_above_the_limit_is_refused_without_reading_it_whole(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(invoice_import, "MAX_FILE_BYTES", 1 << 20)
    rows = "".join(f"RE-{n};Müller GmbH;2026-03-01;119,00\n" for n in range(60_000))
    path = write(tmp_path, "huge.csv", "Rechnungsnummer;Kunde;Rechnungsdatum;Betrag\n" + rows)
    with pytest.raises(InvoiceImportError, match=r"huge\.csv: larger than 1 MiB"):
        import_invoices(ledger, path, actor="anna")
    with ledger.session() as session:
        assert session.scalar(select(func.count(Invoice.id))) == 0


# -- 8: ZIP bombs and huge text -----------------------------------------------------------------------------


def csv_bomb(size: int) -> bytes:
    header = b"Buchungstag;Betrag;Verwendungszweck\n"
    return header + b"01.03.2026;1,00;" + b"A" * size + b"\n"


def test_zip_member_larger_than_the_limit_is_refused_by_name(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "MAX_MEMBER_BYTES", 1 << 20)
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("big.csv", csv_bomb(2 << 20))
    [result] = import_statement_files(ledger, [archive], actor="anna")
    assert result.error.startswith("bundle.zip:big.csv: ") and "larger than 1 MiB" in result.error
    assert count(ledger) == 0


def test_highly_compressed_member_is_refused_before_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("umsatz.csv", csv_bomb(32 << 20))  # 32 MiB that compress to about 32 KiB
    read = []
    original = zipfile.ZipExtFile.read

    def counting_read(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        data = original(self, n)
        read.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting_read)
    with pytest.raises(StatementFormatError, match=r"^bomb\.zip:umsatz\.csv: .*compressed"):
        read_statement_file(archive)
    assert sum(read) < 1 << 20


@pytest.mark.parametrize("name", ["umsatz.csv", "umsatz.sta", "umsatz.xml"])
def test_zip_member_size_is_counted_while_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Declared sizes can lie: the bytes actually read are counted too, whichever reader reads them."""
    many = bookings() * 8000
    content = {
        "umsatz.csv": csv_bomb(3 << 20),
        "umsatz.sta": mt940(IBAN, many, opening=Decimal("0")).encode(),
        "umsatz.xml": camt053(IBAN, many, opening=Decimal("0")).encode(),
    }[name]
    assert len(content) > 2 << 20
    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as handle:
        handle.writestr(name, content)
    monkeypatch.setattr(reader, "MAX_MEMBER_BYTES", 1 << 20)
    monkeypatch.setattr(reader, "_check_declared_size", lambda info, source: None)  # as if the header said less
    with pytest.raises(StatementFormatError, match=rf"^liar\.zip:{name}: .*larger than 1 MiB"):
        read_statement_file(archive)


def test_csv_text_beyond_the_limit_is_refused_while_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_CSV_BYTES", 1 << 20)
    path = write(tmp_path, "umsatz.csv", csv_bomb(3 << 20))
    with pytest.raises(StatementFormatError, match=r"^umsatz\.csv: .*larger than 1 MiB"):
        read_statement_file(path)


def test_mt940_line_beyond_the_limit_is_refused_with_line(ledger: Ledger, tmp_path: Path) -> None:
    text = mt940(IBAN, bookings(), opening=Decimal("100")).replace("?00GUTSCHRIFT", "?00" + "X" * 300_000, 1)
    [result] = import_statement_files(ledger, [write(tmp_path, "long.sta", text)], actor="anna")
    assert result.error.startswith("long.sta: line 6: ") and "longer than" in result.error
    assert count(ledger) == 0


def test_camt_padded_with_megabytes_of_spaces_is_refused_with_line(ledger: Ledger, tmp_path: Path) -> None:
    document = camt053(IBAN, bookings(), opening=Decimal("100")).replace("</Ntry>", "</Ntry>" + " " * (12 << 20), 1)
    [result] = import_statement_files(ledger, [write(tmp_path, "padded.xml", document)], actor="anna")
    assert result.error.startswith("padded.xml: line ") and "10 MB" in result.error
    assert "XML_PARSE_HUGE" not in result.error
    assert count(ledger) == 0


def test_zip_member_of_nul_bytes_is_binary_not_empty(ledger: Ledger, tmp_path: Path) -> None:
    archive = tmp_path / "nul.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("umsatz.csv", b"\x00" * (1 << 20))
    [result] = import_statement_files(ledger, [archive], actor="anna")
    assert result.error.startswith("nul.zip:umsatz.csv: ") and "binary" in result.error
    assert "empty" not in result.error


# -- the worker ---------------------------------------------------------------------------------------------


def test_worker_whose_reader_went_away_exits_quietly(tmp_path: Path) -> None:
    path = write_mt940(tmp_path / "big", 20_000, per_statement=50)
    command = [sys.executable, "-m", "app.services.statements.worker", str(path)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=worker._PROJECT_ROOT) as child:
        assert child.stdout is not None and child.stderr is not None
        assert child.stdout.read(4096)  # it has started sending
        child.stdout.close()  # the parent is gone
        errors = child.stderr.read()
        assert child.wait(timeout=60) != 0
    assert errors == b""


def test_json_output_of_a_refused_file_names_it(kontor_home: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "cut.sta", ":20:STARTUMS\r\n:25:" + IBAN + "\r\n:28C:1/1\r\n:60F:C260302EUR100,00\r\n:61:26")
    ledger = cli_ledger(kontor_home)
    done = cli(kontor_home, ledger, "--json", "import", "statement", str(path))
    [result] = json.loads(done.stdout)
    assert result["source"] == "cut.sta" and "cut.sta: line 5: " in result["error"]
