"""Invoice CSV import into a real encrypted ledger: sniffing, headers, mappings, row errors, re-import, customers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import func, select

from app.models.schema import Allocation, Customer, Invoice, LearnedPayer, Notification, Transaction
from app.services.invoices.importing import (
    PAYABLE,
    InvoiceImportError,
    detect_mapping,
    import_invoices,
    parse_mapping_spec,
    preview_invoices,
    save_mapping,
    saved_mapping,
)
from app.services.invoices.open_items import InvoiceFilter, invoice_rows
from app.services.ledger import audit
from app.services.ledger.database import Ledger

DATA = Path(__file__).resolve().parents[1] / "data" / "invoices"
HEADER = "Rechnungsnummer;Kunde;Kundennummer;Rechnungsdatum;Fällig am;Betrag\n"


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = new_ledger(tmp_path / "invoices.kontor", "pw", company_name="Rechnung GmbH")
    yield ledger
    ledger.close()


def write(tmp_path: Path, text: str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def invoices(ledger: Ledger) -> dict[str, Invoice]:
    with ledger.session() as session:
        return {invoice.number: invoice for invoice in session.scalars(select(Invoice))}


def test_utf8_bom_semicolon_decimal_comma_german_headers(ledger: Ledger) -> None:
    preview = preview_invoices(DATA / "export_de_bom.csv")
    assert (preview.format.encoding, preview.format.delimiter, preview.format.decimal) == ("utf-8-sig", ";", ",")
    assert preview.format.date_format == "DD.MM.YYYY"
    assert preview.mapping["amount"] == "Betrag brutto"  # not 'Betrag netto'
    assert preview.mapping["due_on"] == "Fällig am" and preview.mapping["open_amount"] == "offener Betrag"
    assert preview.errors == [] and preview.missing == []

    result = import_invoices(ledger, DATA / "export_de_bom.csv", actor="anna")
    assert (result.new, result.updated, result.customers_created) == (3, 0, 2)
    stored = invoices(ledger)
    first = stored["RE-2026-0042"]
    assert (first.amount_cents, first.issued_on, first.due_on, first.kind) == (
        119000,
        date(2026, 3, 2),
        date(2026, 3, 16),
        "receivable",
    )
    assert stored["RE-2026-0043"].amount_cents == 238050
    rows = {row.number: row for row in invoice_rows(ledger, today=date(2026, 3, 10))}
    assert rows["RE-2026-0044"].status == "paid"  # the export says nothing is open any more
    assert rows["RE-2026-0042"].status == "open" and rows["RE-2026-0042"].open_amount == Decimal("1190.00")
    with ledger.session() as session:
        mueller = session.scalar(select(Customer).where(Customer.number == "K10001"))
        assert mueller is not None and mueller.name == "Müller Metallbau GmbH"
        assert mueller.iban == "DE02120300000000202051"  # the IBAN column links the IBAN to the customer
        assert audit.verify(session).ok


def test_cp1252_short_years_and_debitor_headers(ledger: Ledger) -> None:
    preview = preview_invoices(DATA / "export_cp1252.csv")
    assert preview.format.encoding == "cp1252" and preview.format.date_format == "DD.MM.YY"
    assert [row.customer for row in preview.rows] == ["Bäckerei Weber e.K.", "Café Größe"]
    assert [row.amount for row in preview.rows] == [Decimal("89.90"), Decimal("1234.56")]
    result = import_invoices(ledger, DATA / "export_cp1252.csv", actor="anna")
    assert result.new == 2 and invoices(ledger)["2026/18"].due_on == date(2026, 3, 25)


def test_comma_decimal_point_iso_dates_english_headers(ledger: Ledger) -> None:
    preview = preview_invoices(DATA / "export_en.csv")
    assert (preview.format.delimiter, preview.format.decimal, preview.format.date_format) == (",", ".", "YYYY-MM-DD")
    assert preview.rows[0].customer == "Acme Supplies, Inc." and preview.rows[0].amount == Decimal("1499.95")
    result = import_invoices(ledger, DATA / "export_en.csv", kind=PAYABLE, actor="anna")
    assert result.new == 2
    assert {invoice.kind for invoice in invoices(ledger).values()} == {"payable"}


def test_us_dates_when_unambiguous_and_an_error_when_not(tmp_path: Path) -> None:
    text = "Invoice No,Customer,Date,Total\nA-1,X,03/25/2026,10.00\nA-2,Y,12/01/2026,20.00\n"
    assert preview_invoices(write(tmp_path, text)).rows[0].issued_on == date(2026, 3, 25)
    ambiguous = write(tmp_path, "Invoice No,Customer,Date,Total\nA-1,X,03/04/2026,10.00\n", "ambiguous.csv")
    with pytest.raises(InvoiceImportError, match="ambiguous.csv: dates like 03/04/2026"):
        preview_invoices(ambiguous)
    assert preview_invoices(ambiguous, {"dates": "DD/MM/YYYY"}).rows[0].issued_on == date(2026, 4, 3)


def test_header_synonyms_fold_case_umlauts_and_units() -> None:
    mapping = detect_mapping(["RECHNUNGS-NR", "Debitor", "FAELLIG AM", "Betrag (EUR)", "Beleg-Datum", "Waehrung"])
    assert mapping == {
        "number": "RECHNUNGS-NR",
        "customer": "Debitor",
        "due_on": "FAELLIG AM",
        "amount": "Betrag (EUR)",
        "issued_on": "Beleg-Datum",
        "currency": "Waehrung",
    }


def test_explicit_map_and_saved_mapping(ledger: Ledger, tmp_path: Path) -> None:
    path = write(
        tmp_path, "Beleg;Partner;Tag;Summe;Notiz\nX-1;Firma A;01.03.2026;100,00;a\nX-2;Firma B;02.03.2026;200,00;b\n"
    )
    assert "number" in preview_invoices(path).missing  # 'Beleg' alone names no field
    spec = parse_mapping_spec("number=Beleg, customer=Partner,issued_on=tag,amount=Summe")
    result = import_invoices(ledger, path, mapping=spec, actor="anna")
    assert result.new == 2 and result.mapping["issued_on"] == "Tag"
    save_mapping(ledger, "Buchhaltung", result.mapping, actor="anna")
    assert saved_mapping(ledger, "Buchhaltung") == result.mapping
    with pytest.raises(InvoiceImportError, match="No saved column mapping 'Nix'"):
        saved_mapping(ledger, "Nix")
    with pytest.raises(InvoiceImportError, match="unknown field 'nummer'"):
        parse_mapping_spec("nummer=Beleg")
    with pytest.raises(InvoiceImportError, match="is not FIELD=COLUMN"):
        parse_mapping_spec("number")
    with pytest.raises(InvoiceImportError, match="export.csv: column 'Betrag' \\(for amount\\) is not in the file"):
        import_invoices(ledger, path, mapping={"amount": "Betrag"}, actor="anna")


def test_row_errors_all_or_nothing_or_skipped(ledger: Ledger, tmp_path: Path) -> None:
    text = HEADER + (
        "R-1;A GmbH;K1;01.03.2026;15.03.2026;100,00\n"
        ";A GmbH;K1;01.03.2026;15.03.2026;100,00\n"
        "R-3;A GmbH;K1;01.03.2026;15.03.2026;zehn Euro\n"
        "R-1;B GmbH;K2;02.03.2026;16.03.2026;50,00\n"
        "R-5;B GmbH;K2;31.02.2026;16.03.2026;50,00\n"
        "R-6;B GmbH;K2;02.03.2026;16.03.2026;60,00\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(InvoiceImportError) as caught:
        import_invoices(ledger, path, actor="anna")
    assert [row for row, _reason in caught.value.errors] == [3, 4, 5, 6]
    message = str(caught.value)
    assert "export.csv: 4 bad rows, nothing imported" in message
    assert "row 3: column Rechnungsnummer (invoice number): the invoice number is missing" in message
    assert "row 4: column Betrag (amount): 'zehn Euro' is not an amount" in message
    assert "row 5: column Rechnungsnummer (invoice number): R-1 appears already in row 2" in message
    assert "row 6: column Rechnungsdatum (invoice date): '31.02.2026' is not a date (DD.MM.YYYY)" in message
    assert invoices(ledger) == {}

    result = import_invoices(ledger, path, skip_bad_rows=True, actor="anna")
    assert result.new == 2 and [row for row, _reason in result.errors] == [3, 4, 5, 6]
    assert sorted(invoices(ledger)) == ["R-1", "R-6"]


def test_missing_required_columns_are_named(ledger: Ledger, tmp_path: Path) -> None:
    path = write(tmp_path, "Kunde;Datum\nA;01.03.2026\n", "kaputt.csv")
    with pytest.raises(
        InvoiceImportError, match="kaputt.csv: no column for invoice number, amount; its columns are: Kunde, Datum"
    ):
        import_invoices(ledger, path, actor="anna")


def test_reimport_updates_by_number_keeps_allocations_and_flags_changes(ledger: Ledger, tmp_path: Path) -> None:
    first = HEADER + "R-1;A GmbH;K1;01.03.2026;15.03.2026;100,00\nR-2;A GmbH;K1;02.03.2026;16.03.2026;200,00\n"
    import_invoices(ledger, write(tmp_path, first), actor="anna")
    with ledger.session() as session, session.begin():
        from app.models.schema import BankAccount

        account = BankAccount(iban="DE89370400440532013000")
        session.add(account)
        session.flush()
        audit.record_row(session, actor="anna", action="create", row=account)
        tx = Transaction(
            account_id=account.id, booked_on=date(2026, 3, 5), amount_cents=10000, reconciliation="matched"
        )
        session.add(tx)
        session.flush()
        audit.record_row(session, actor="anna", action="create", row=tx)
        r1 = session.scalar(select(Invoice).where(Invoice.number == "R-1"))
        assert r1 is not None
        allocation = Allocation(
            transaction_id=tx.id, invoice_id=r1.id, amount_cents=10000, method="manual", created_by="anna"
        )
        session.add(allocation)
        session.flush()
        audit.record_row(session, actor="anna", action="create", row=allocation)
    second = HEADER + (
        "R-1;A GmbH;K1;01.03.2026;15.03.2026;110,00\n"  # amount changed after it was paid
        "R-2;A GmbH;K1;02.03.2026;30.03.2026;200,00\n"  # new due date, no allocation
        "R-3;A GmbH;K1;03.03.2026;17.03.2026;300,00\n"
    )
    result = import_invoices(ledger, write(tmp_path, second, "v2.csv"), actor="anna")
    assert (result.new, result.updated, result.unchanged, result.flagged_for_review) == (1, 2, 0, ["R-1"])
    again = import_invoices(ledger, write(tmp_path, second, "v3.csv"), actor="anna")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    stored = invoices(ledger)
    assert len(stored) == 3 and stored["R-1"].amount_cents == 11000 and stored["R-2"].due_on == date(2026, 3, 30)
    assert stored["R-1"].needs_review and "amount" in stored["R-1"].review_note and not stored["R-2"].needs_review
    review = invoice_rows(ledger, InvoiceFilter(status="review"))
    assert [row.number for row in review] == ["R-1"] and review[0].open_amount == Decimal("10.00")
    with ledger.session() as session:
        assert session.scalar(select(func.count(Allocation.id))) == 1
        messages = session.scalars(select(Notification.message).where(Notification.kind == "review")).all()
        assert len(messages) == 1 and "R-1" in messages[0]
        assert audit.verify(session).ok


def test_customers_by_number_then_name_and_iban_links(ledger: Ledger, tmp_path: Path) -> None:
    text = (
        "Rechnungsnummer;Kunde;Kundennummer;IBAN;Rechnungsdatum;Betrag\n"
        "R-1;Alpha GmbH;;DE02120300000000202051;01.03.2026;10,00\n"
        "R-2;alpha  gmbh;K9;;01.03.2026;10,00\n"  # same name, gives it a number
        "R-3;Alpha GmbH (neu);K9;DE89370400440532013000;01.03.2026;10,00\n"  # same number, a second IBAN
        "R-4;Beta AG;K7;;01.03.2026;10,00\n"
    )
    result = import_invoices(ledger, write(tmp_path, text), actor="anna")
    assert result.customers_created == 2
    with ledger.session() as session:
        alpha = session.scalar(select(Customer).where(Customer.number == "K9"))
        assert alpha is not None and alpha.name == "Alpha GmbH" and alpha.iban == "DE02120300000000202051"
        learned = session.scalars(select(LearnedPayer)).all()
        assert [(row.key_kind, row.key, row.customer_id, row.source) for row in learned] == [
            ("iban", "DE89370400440532013000", alpha.id, "import")
        ]
        assert {
            i.customer_id for i in session.scalars(select(Invoice).where(Invoice.number.in_(["R-1", "R-2", "R-3"])))
        } == {alpha.id}
        assert audit.verify(session).ok


def test_status_column_cancels_and_marks_paid(ledger: Ledger, tmp_path: Path) -> None:
    text = "Rechnungsnummer;Kunde;Rechnungsdatum;Betrag;Status\n"
    text += "R-1;A;01.03.2026;10,00;storniert\nR-2;A;01.03.2026;20,00;bezahlt\n"
    import_invoices(ledger, write(tmp_path, text), actor="anna")
    rows = {row.number: row.status for row in invoice_rows(ledger, today=date(2026, 3, 2))}
    assert rows == {"R-1": "cancelled", "R-2": "paid"}
