"""Real bank CSV exports (tests/data/bank_csv, see SOURCES.md) import through the CLI without a mapping."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from test_cli import kontor_process

import app.services.statements.bank_csv as bank_csv
from app.cli import main
from app.models.schema import BankAccount, Transaction
from app.services.ledger.database import Ledger
from app.services.statements.bank_csv import decode_csv, mapping_spec, read_bank_csv, sniff_csv
from app.services.statements.csv_detect import detect_layout
from app.services.statements.csv_mappings import parse_spec
from app.services.statements.model import StatementFormatError
from app.services.statements.reader import read_statement_file

DATA = Path(__file__).resolve().parents[1] / "data" / "bank_csv"
CHOSEN = "DE02120300000000202051"  # the account the user picks for files that name none
PASSPHRASE = "layouts"
IBAN = "DE89370400440532013000"  # the IBAN the publishers of most samples put in for their own

# file, bookings, first booking's date, amount, counterparty, start of its purpose, layout, account named in the file
LAYOUTS = [
    ("at-easybank-creditcard.csv", 3, "2013-07-02", "-5.99", "", "Some vendor/info|123", "detected", ""),
    ("at-easybank-giro.csv", 10, "2014-01-01", "-0.42", "", "Einbehaltene KESt BG", "detected", ""),
    ("at-ing.csv", 6, "2013-12-31", "12.23", "", "Habenzinsen", "detected", ""),
    ("at-livebank.csv", 6, "2013-07-03", "150.00", "", "A name", "detected", ""),
    ("at-oberbank.csv", 5, "2017-03-15", "-11.00", "", "Zahlungsreferenz, Em", "detected", ""),
    ("at-raiffeisen.csv", 7, "2013-06-28", "0.58", "", "0,125 % p.a. Habenzi", "detected", ""),
    ("consorsbank.csv", 3, "2018-11-27", "-13.99", "NETFLIX.COM", "VISA-5656262359553 1", "detected", ""),
    ("comdirect.csv", 6, "2013-05-21", "-33.11", "BLUMENLADEN", "Auftraggeber: BLUMEN", "comdirect", ""),
    ("commerzbank.csv", 7, "2024-12-31", "-10.70", "", "Kontoführung Konto 1", "commerzbank", ""),
    ("deutsche-bank.csv", 2, "2026-02-25", "2688.15", "Max Mustermann GmbH", "REIND260105397", "postbank", ""),
    ("dkb-2018.csv", 2, "2018-01-16", "-15.37", "REWE Filialen Voll", "REWE SAGT DANKE.", "dkb-old", ""),
    (
        "dkb-2019.csv",
        2,
        "2018-09-24",
        "123.45",
        "CsvConverter äüöß",
        "Positive üäöß .,;",
        "dkb-old",
        "DE51120300001007317249",
    ),
    ("dkb-credit-card-2018.csv", 1, "2018-01-15", "-10.80", "", "REWE Filiale Muenche", "detected", ""),
    ("dkb-credit-card.csv", 1, "2023-01-15", "-10.80", "", "REWE Filiale Muenche", "detected", ""),
    ("dkb.csv", 8, "2025-12-08", "200.00", "Max Mustermann", "Nebenkosten", "dkb", "DE42120300001033738756"),
    ("finom.csv", 5, "2026-03-03", "500.00", "Max Mustermann", "Rechnung 2026-001", "detected", ""),
    ("gls-bank.csv", 18, "2025-12-17", "-52.93", "Max Mustermann", "Miete", "atruvia", IBAN),
    ("hypovereinsbank.csv", 1, "2017-09-15", "345.30", "", "SEPA-GUTSCHRIFT flig", "detected", ""),
    ("ing-2019.csv", 9, "2018-12-28", "-5.50", "PayDude (Europe) S.a.r.l. et C", "PP.1234.PP . Blumen ", "ing", ""),
    ("ing-mit-saldo.csv", 20, "2025-12-09", "-13.98", "VISA Firma", "NR XXXX 4025 NUERNBE", "ing", IBAN),
    ("ing.csv", 20, "2025-12-09", "-13.98", "VISA Firma", "NR XXXX 4025 NUERNBE", "ing", IBAN),
    ("n26.csv", 87, "2024-01-15", "-4.50", "STARBUCKS COFFEE", "", "n26", ""),
    ("n26-german-2018.csv", 2, "2018-09-24", "123.45", "CsvConverter äüöß", "Positive üäöß .,;", "detected", ""),
    ("paypal-activity-en.csv", 76, "2015-12-29", "79.75", "PARTNER1", "", "paypal-activity-en", ""),
    ("paypal-de.csv", 11, "2025-06-18", "100.00", "PayPal Inc.", "", "paypal-de", ""),
    ("paypal-statement-en.csv", 19, "2018-09-04", "-1058.09", "", "", "paypal-statement-en", ""),
    (
        "postbank.csv",
        56,
        "2026-01-02",
        "-74.80",
        "Mecklenburgische Versicherungs",
        "70-3086926 KFZ-Vers.",
        "postbank",
        IBAN,
    ),
    ("revolut.csv", 7, "2025-01-01", "1000.00", "", "Payment from Bank Ac", "revolut", ""),
    ("sparda-bank-online.csv", 7, "2024-01-20", "-11.99", "", "01234 MCDONALDS19.01", "detected", ""),
    ("sparda-bank-west.csv", 20, "2025-12-12", "-4.99", "", "Kauf", "atruvia", IBAN),
    (
        "sparkasse-camt.csv",
        10,
        "2025-12-05",
        "-99.80",
        "Online-Shop GmbH",
        "Online-Shop Bestellu",
        "sparkasse-camt",
        IBAN,
    ),
    (
        "sparkasse-freiburg.csv",
        2,
        "2018-03-28",
        "-1234.56",
        "ASDF Immobilien GmbH",
        "1234123412341 123412",
        "sparkasse-camt",
        "",
    ),
    (
        "sparkasse-mt940.csv",
        10,
        "2025-12-05",
        "-99.80",
        "Online-Shop GmbH",
        "Online-Shop Bestellu",
        "sparkasse-mt940",
        IBAN,
    ),
    ("targobank-decimal-point.csv", 11, "2025-11-03", "-5.00", "", "Echtzeitüberweisung ", "detected", ""),
    ("targobank.csv", 11, "2025-11-03", "-5.00", "", "Echtzeitüberweisung ", "detected", ""),
    ("tomorrow.csv", 1, "2026-01-18", "-8.00", "Tomorrow GmbH", "Thank you for a great", "detected", ""),
    ("vivid.csv", 5, "2026-03-01", "2500.00", "Arbeitgeber GmbH", "Gehalt März 2026", "detected", ""),
    ("vr-teilhaberbank.csv", 5, "2025-12-01", "175.00", "Max Mustermann", "Rate", "atruvia", IBAN),
    ("wise.csv", 5, "2020-08-24", "-357.38", "John Doe", "Moving to Revolut Sen", "detected", ""),
    ("zkb.csv", 7, "2024-01-01", "5000.00", "", "", "zkb", ""),
]


# USD and EUR bookings in one file: read, but refused by the import, as one account keeps one currency
MIXED_CURRENCIES = {"paypal-activity-en.csv", "paypal-statement-en.csv"}


def test_every_file_is_listed_with_its_source() -> None:
    files = sorted(path.name for path in DATA.glob("*.csv"))
    assert files == sorted(layout[0] for layout in LAYOUTS)
    sources = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    assert [name for name in files if f"`{name}`" not in sources] == []


@pytest.mark.parametrize(
    ("name", "count", "first_on", "amount", "counterparty", "purpose", "layout", "account"),
    [layout for layout in LAYOUTS if layout[0] not in MIXED_CURRENCIES],
)
def test_real_export_imports_through_the_cli_without_a_mapping(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    count: int,
    first_on: str,
    amount: str,
    counterparty: str,
    purpose: str,
    layout: str,
    account: str,
) -> None:
    ledger_path = tmp_path / "layouts.kontor"
    monkeypatch.setenv("KONTOR_PASSPHRASE", PASSPHRASE)
    assert main(["--ledger", str(ledger_path), "init"]) == 0
    args = ["--ledger", str(ledger_path), "import", "statement", str(DATA / name)]
    assert main([*args] if account else [*args, "--account", CHOSEN]) == 0
    out = capsys.readouterr().out
    assert f"{name}: {count} new" in out
    assert f"{name}: read as {layout} (date=" in out  # the report names the layout and the columns it read

    ledger = Ledger.open(ledger_path, PASSPHRASE)
    try:
        with ledger.session() as session:
            rows = session.scalars(select(Transaction).order_by(Transaction.id)).all()
            ibans = session.scalars(select(BankAccount.iban)).all()
    finally:
        ledger.close()
    assert len(rows) == count
    first = rows[0]
    assert first.booked_on == date.fromisoformat(first_on)
    assert Decimal(first.amount_cents) / 100 == Decimal(amount)
    assert first.counterparty_name.startswith(counterparty) and (counterparty or not first.counterparty_name)
    assert first.purpose.startswith(purpose)
    assert ibans == [account or CHOSEN]


@pytest.mark.parametrize("name", [layout[0] for layout in LAYOUTS])
def test_the_detector_alone_reads_what_the_bank_profiles_read(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Without any bank profile, the detector finds the same bookings, dates and amounts in every file."""
    with_profiles = read_statement_file(DATA / name)[0].transactions
    monkeypatch.setattr(bank_csv, "PROFILES", ())
    (statement,) = read_statement_file(DATA / name)
    assert statement.layout.startswith("detected (")
    detected = statement.transactions
    assert [(t.booked_on, t.amount) for t in detected] == [(t.booked_on, t.amount) for t in with_profiles]


def test_atruvia_export_is_read_by_its_columns_not_by_position(tmp_path: Path) -> None:
    """The cooperative banks' layout with its columns in another order, an extra column and a footer."""
    header = (
        "Buchungstag;Bezeichnung Auftragskonto;IBAN Auftragskonto;BIC Auftragskonto;Bankname Auftragskonto;"
        "Valutadatum;Name Zahlungsbeteiligter;IBAN Zahlungsbeteiligter;BIC (SWIFT-Code) Zahlungsbeteiligter;"
        "Buchungstext;Verwendungszweck;Betrag;Waehrung;Saldo nach Buchung;Bemerkung;Kategorie;Steuerrelevant;"
        "Glaeubiger ID;Mandatsreferenz\n"
    )
    row = (
        "02.03.2026;Geschäftskonto;DE89370400440532013000;GENODEF1S05;Volksbank;02.03.2026;Stadtwerke Musterstadt;"
        "DE02100100100006820101;PBNKDEFFXXX;Basislastschrift;Strom März EREF: 42;-1.234,50;EUR;8.765,50;;;;"
        "DE98ZZZ09999999999;M-77\n"
    )
    path = tmp_path / "Umsaetze_Geschaeftskonto.csv"
    path.write_bytes((header + row + ";;;;;;;;;;;;;;;;;;\n").encode("cp1252"))
    (statement,) = read_statement_file(path)
    (booking,) = statement.transactions
    assert statement.account_iban == "DE89370400440532013000"
    assert (booking.amount, booking.counterparty_name, booking.counterparty_iban) == (
        Decimal("-1234.50"),
        "Stadtwerke Musterstadt",
        "DE02100100100006820101",
    )
    assert (booking.creditor_id, booking.mandate_id, booking.counterparty_bic) == (
        "DE98ZZZ09999999999",
        "M-77",
        "PBNKDEFFXXX",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # English headers, comma delimiter, decimal point with thousands separators, a preamble and a footer
        (
            "Account statement\nAccount: DE89370400440532013000\n\n"
            "Date,Value date,Counterparty,IBAN,Description,Amount,Currency,Balance\n"
            '2026-03-02,2026-03-02,ACME Ltd,DE02100100100006820101,Invoice 7,"1,234.50",EUR,"9,000.00"\n'
            'Total,,,,,"1,234.50",,\n',
            ("DE89370400440532013000", Decimal("1234.50"), "ACME Ltd", "Invoice 7"),
        ),
        # unsigned amounts with an S/H column, tab separated
        (
            "Buchungsdatum\tEmpfänger\tVerwendungszweck\tUmsatz\tS/H\n"
            "02.03.2026\tTelekom\tRechnung März\t49,90\tS\n"
            "03.03.2026\tKunde AG\tRE-9\t100,00\tH\n",
            ("", Decimal("-49.90"), "Telekom", "Rechnung März"),
        ),
        # bunq's header (own account in "Account", the counterparty's IBAN in "Counterparty"), decimal comma in a
        # comma-separated file; values written for this test
        (
            '"Date","Interest Date","Amount","Account","Counterparty","Name","Description"\n'
            '"2021-10-01","2021-10-01","-1.034,75","NL91ABNA0417164300","DE02100100100006820101","JOE","Miete"\n'
            '"2021-10-02","2021-10-02","-10,00","NL91ABNA0417164300","","BOB",""\n',
            ("NL91ABNA0417164300", Decimal("-1034.75"), "JOE", "Miete"),
        ),
        # separate Soll and Haben columns, Kontonummer in the preamble, quoted IBANs
        (
            '"Kontonummer:";"1234567890"\n\n'
            '"Datum";"Auftraggeber/Empfänger";"IBAN";"Verwendungszweck";"Soll";"Haben"\n'
            '"02.03.2026";"Miete GmbH";"\'DE02100100100006820101\'";"Miete März";"1.500,00";""\n',
            ("1234567890", Decimal("-1500.00"), "Miete GmbH", "Miete März"),
        ),
    ],
)
def test_unknown_layouts_by_synonyms(tmp_path: Path, text: str, expected: tuple[str, Decimal, str, str]) -> None:
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    (statement,) = read_statement_file(path)
    first = statement.transactions[0]
    account = statement.account_iban or statement.account_number
    assert (account, first.amount, first.counterparty_name, first.purpose) == expected
    assert first.counterparty_iban in ("", "DE02100100100006820101")


def test_old_volksbank_export_with_s_h_marks_and_balance_lines(tmp_path: Path) -> None:
    """The cooperative banks' export before Atruvia: unsigned amounts with S/H, opening and closing balance lines
    inside the table (header as published; the rows are written for this test)."""
    path = tmp_path / "Umsaetze.csv"
    text = (
        ";;;;;;;;;;;;;;;;\nUmsatzanzeige;;;;;;;;;;;;;;;;\nBLZ:;10517962;;Datum:;12.03.2022;;;;;;;;;;;;\n"
        "Konto:;25862911;;Uhrzeit:;14:17:19;;;;;;;;;;;;\n;;;;;;;;;;;;;;;;\n"
        "Buchungstag;Valuta;Textschlüssel;Primanota;Zahlungsempfänger;ZahlungsempfängerKto;ZahlungsempfängerIBAN;"
        "ZahlungsempfängerBLZ;ZahlungsempfängerBIC;Vorgang/Verwendungszweck;Kundenreferenz;Währung;Umsatz;Soll/Haben\n"
        "09.03.2022;09.03.2022;16 Euro-Überweisung;801;Test GmbH;0;DE02100100100006820101;58629112;GENODES1VBH;"
        "Rechnung 20219862;;EUR;24,15;S\n"
        "09.03.2022;09.03.2022;51 Überweisungsgutschr.;931;Max Mustermann;0;DE02120300000000202051;10517962;"
        "SOLADES1FDS;22-1423;;EUR;1.027,00;H\n"
        ";;;;;;;;;;;;;\n01.03.2022;;;;;;;;;;Anfangssaldo;EUR;1.000,00;H\n09.03.2022;;;;;;;;;;Endsaldo;EUR;2.002,85;H\n"
    )
    path.write_bytes(text.encode("cp1252"))
    (statement,) = read_statement_file(path)
    debit, credit = statement.transactions
    assert (debit.amount, debit.counterparty_name, debit.posting_text) == (
        Decimal("-24.15"),
        "Test GmbH",
        "16 Euro-Überweisung",
    )
    assert (credit.amount, credit.counterparty_iban, credit.purpose) == (
        Decimal("1027.00"),
        "DE02120300000000202051",
        "22-1423",
    )
    assert statement.account_number == "25862911"
    assert statement.opening is not None and statement.opening.amount == Decimal("1000.00")
    assert statement.closing is not None and statement.closing.amount == Decimal("2002.85")
    assert statement.opening.amount + debit.amount + credit.amount == statement.closing.amount


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_utf16_export(tmp_path: Path, encoding: str) -> None:
    """Erste Bank's George writes its CSV as UTF-16 (with or without the byte order mark)."""
    path = tmp_path / "george.csv"
    text = "Buchungsdatum;Partnername;Partner IBAN;Betrag;Währung;Verwendungszweck\n"
    text += "02.03.2026;Wiener Stadtwerke;AT611904300234573201;-45,10;EUR;Strom März\n"
    path.write_bytes(text.encode(encoding))
    (statement,) = read_statement_file(path)
    (booking,) = statement.transactions
    assert (booking.amount, booking.counterparty_name, booking.counterparty_iban, booking.purpose) == (
        Decimal("-45.10"),
        "Wiener Stadtwerke",
        "AT611904300234573201",
        "Strom März",
    )


def test_account_from_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "Umsaetze_DE89370400440532013000_2026.csv"
    path.write_text("Datum;Betrag;Verwendungszweck\n02.03.2026;-1,00;Test\n", encoding="utf-8")
    assert read_statement_file(path)[0].account_iban == "DE89370400440532013000"


def test_unclear_file_is_refused_with_the_best_guess_as_a_map_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Header names the detector cannot place: refused, with its guess to edit; the guess then imports."""
    path = tmp_path / "hausbank.csv"
    path.write_text("Tag;Gegenüber;Zweck;Wert\n02.03.2026;Müller GmbH;RE-1;1.190,00\n", encoding="utf-8")
    ledger_path = tmp_path / "unclear.kontor"
    monkeypatch.setenv("KONTOR_PASSPHRASE", PASSPHRASE)
    assert main(["--ledger", str(ledger_path), "init"]) == 0
    capsys.readouterr()
    args = ["--ledger", str(ledger_path), "import", "statement", str(path), "--account", CHOSEN]
    assert main(["--json", *args]) == 1
    (result,) = json.loads(capsys.readouterr().out)
    assert "give a column mapping" in result["error"]
    guess = result["mapping_guess"]
    assert "delimiter=semicolon" in guess and "decimal=comma" in guess
    assert main([*args, "--map", guess + ",date=Tag,amount=Wert,name=Gegenüber,purpose=Zweck"]) == 0
    assert "1 new" in capsys.readouterr().out


def test_header_less_guess_round_trips_through_a_map_spec() -> None:
    path = DATA / "at-raiffeisen.csv"
    guess = sniff_csv(path)
    assert not guess.has_header and (guess.date, guess.amount) == ("1", "4")
    again = parse_spec(mapping_spec(guess), replace(guess, date="", amount=""))
    assert again == guess
    assert len(read_statement_file(path, mapping=again)[0].transactions) == 7


def test_detector_reports_where_it_is_unsure() -> None:
    text, _encoding = decode_csv(b"Name;Notiz\nAnna;hallo\n")
    layout = detect_layout(text)
    assert not layout.sure and layout.reasons == ("no line with a date and an amount",)


def test_a_cell_over_two_lines_keeps_names_and_line_numbers(tmp_path: Path) -> None:
    """A quoted name spanning lines (DKB) stays one cell; a later error names the line it is on in the file."""
    path = tmp_path / "umsatz.csv"
    text = 'Datum;Name;Verwendungszweck;Betrag\n01.03.2026;"MAX\nMUSTERMANN";Miete;-1.450,00\n'
    path.write_text(text, encoding="utf-8")
    (booking,) = read_statement_file(path)[0].transactions
    assert (booking.counterparty_name, booking.amount) == ("MAX MUSTERMANN", Decimal("-1450.00"))
    path.write_text(text + "02.03.2026;Kunde;RE-1;zwölf\n", encoding="utf-8")
    with pytest.raises(StatementFormatError, match=r"umsatz\.csv: line 4: unreadable amount 'zwölf'"):
        read_statement_file(path)


def test_garbled_exports_are_refused_or_read_never_crash() -> None:
    """Random tables of bank-like cells either read or end in a StatementFormatError naming the file."""
    rng = random.Random(7)
    cells = [
        *("01.02.2024", "2024-02-01", "31.02.2024", "99/99/9999", "1.234,56", "-12,00", "12.50", "1e5", "--", "+"),
        *("DE02120300000000202051", "'DE02100100100006820101'", "EUR", "€", "Miete", "", '"a;b"', "S", "H"),
        *("Buchungstag", "Betrag", "Datum", "Name", "Saldo", "Anfangssaldo", "Kontostand", "N/A", "Soll", "Haben"),
        *("Valuta", "IBAN", "Verwendungszweck"),
    ]
    for _ in range(400):
        delimiter = rng.choice([";", ",", "\t"])
        lines = [delimiter.join(rng.choices(cells, k=rng.randint(1, 8))) for _ in range(rng.randint(1, 12))]
        data = "\n".join(lines).encode(rng.choice(["utf-8", "cp1252", "utf-16"]))
        try:
            read_bank_csv(data, source="zufall.csv")
        except StatementFormatError as error:
            assert str(error).startswith("zufall.csv: ")


def test_an_invoice_list_is_not_taken_for_a_statement() -> None:
    """A date and an amount alone do not make a bank export: an invoice list is refused, not imported."""
    text = "Rechnungsnummer;Kunde;Datum;Betrag\nRE-1;Müller GmbH;01.03.2026;119,00\n"
    layout = detect_layout(text)
    assert not layout.sure and layout.reasons == ("no column with a counterparty, purpose or value date",)
    with pytest.raises(StatementFormatError, match="give a column mapping"):
        read_bank_csv(text.encode(), source="rechnungen.csv")


def test_a_german_import_names_how_it_read_a_csv_in_german(kontor_home: Path, tmp_path: Path) -> None:
    """The layout a CSV was read with is the bank's profile name, or the user's mapping or the detected columns,
    which are words and come in the user's language."""
    env = {"KONTOR_PASSPHRASE": "geheim-4711", "KONTOR_LANG": "de"}
    ledger = str(kontor_home / "firma.kontor")
    assert kontor_process("--ledger", ledger, "init", home=kontor_home, env=env).returncode == 0
    detected, mapped = tmp_path / "erkannt.csv", tmp_path / "zugeordnet.csv"
    detected.write_text("Buchungstag;Betrag;Verwendungszweck\n01.02.2026;12,50;Miete\n", encoding="utf-8")
    mapped.write_text("Tag;Wert;Text\n02.02.2026;13,50;Strom\n", encoding="utf-8")
    account = ["--account", CHOSEN]
    done = kontor_process("--ledger", ledger, "import", "statement", str(detected), *account, home=kontor_home, env=env)
    assert "erkannt.csv: gelesen als erkannte Spalten (date=Buchungstag" in done.stdout, done.stdout + done.stderr
    spec = ["--map", "date=Tag,amount=Wert,purpose=Text"]
    done = kontor_process(
        "--ledger", ledger, "import", "statement", str(mapped), *account, *spec, home=kontor_home, env=env
    )
    assert "zugeordnet.csv: gelesen als Ihre Zuordnung (date=Tag" in done.stdout, done.stdout + done.stderr
