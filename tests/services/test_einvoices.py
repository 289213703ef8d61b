"""E-invoices from the official XRechnung test suite (UBL and CII) and a Factur-X PDF, read and imported."""

from __future__ import annotations

import dataclasses
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import func, select
from statement_files import Booking, camt053
from test_payments_support import OWN, TODAY, make_ledger, signed_in

from app.models.schema import Customer, Invoice
from app.services.invoices.einvoice import EInvoiceError, read_einvoice
from app.services.invoices.einvoice_import import import_einvoices
from app.services.invoices.importing import InvoiceImportError, import_invoices
from app.services.invoices.open_items import InvoiceFilter, invoice_rows
from app.services.invoices.skonto import SkontoTier
from app.services.ledger.database import Ledger
from app.services.matching import PAYABLE
from app.services.payments.approvals import approve_run
from app.services.payments.orders import transfer_from_invoice
from app.services.payments.runs import after_statement_import, export_run, run_row, submit_run
from app.services.statements.importing import import_statement_files

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "einvoices"
PAIRS = sorted(p.name.removesuffix("-INVOICE_ubl.xml") for p in SAMPLES.glob("*-INVOICE_ubl.xml")
               if (SAMPLES / p.name.replace("_ubl", "_uncefact")).exists())  # fmt: skip


# Where the test suite's two files of a case really differ (checked by hand in the XML)
DIFFERENT = {"01.21a": {"seller_vat_id"}}  # UBL DE 123456789, CII DE152338654


@pytest.mark.parametrize("case", PAIRS)
def test_ubl_and_cii_of_one_business_case_read_alike(case: str) -> None:
    ubl = read_einvoice(SAMPLES / f"{case}-INVOICE_ubl.xml")
    cii = read_einvoice(SAMPLES / f"{case}-INVOICE_uncefact.xml")
    same = (
        {field.name for field in dataclasses.fields(ubl)}
        - {"source", "syntax", "terms", "data"}
        - DIFFERENT.get(case, set())
    )
    assert {name: getattr(ubl, name) for name in same} == {name: getattr(cii, name) for name in same}
    assert (ubl.syntax, cii.syntax) == ("UBL", "CII") and ubl.number and ubl.total > 0


def test_the_fields_a_payment_needs() -> None:
    invoice = read_einvoice(SAMPLES / "01.07a-INVOICE_ubl.xml")
    assert (invoice.number, invoice.issued_on, invoice.due_on) == ("R1234567", date(2016, 6, 30), date(2016, 8, 14))
    assert (invoice.total, invoice.due, invoice.currency) == (Decimal("45.22"), Decimal("45.22"), "EUR")
    assert invoice.iban == "DE79000000001234567890" and invoice.seller == "[Seller name]"
    assert read_einvoice(SAMPLES / "01.10a-INVOICE_uncefact.xml").skonto == (
        SkontoTier(7, Decimal("2.00")),
        SkontoTier(14, Decimal("1.00")),
        SkontoTier(30, Decimal("0.00")),
    )
    # ZUGFeRD EXTENDED states Skonto as elements instead of the XRechnung text convention
    assert read_einvoice(SAMPLES / "zugferd-pdf_zf_extended_1.pdf").skonto == (SkontoTier(10, Decimal("2.00")),)
    prepaid = read_einvoice(SAMPLES / "02.03a-INVOICE_ubl.xml")
    assert (prepaid.total, prepaid.due) == (Decimal("12829.69"), Decimal("0"))


def test_a_factur_x_pdf_gives_its_embedded_invoice() -> None:
    pdf = read_einvoice(SAMPLES / "04.05a-facturx.pdf")
    xml = read_einvoice(SAMPLES / "04.05a-INVOICE_uncefact.xml")
    assert (pdf.syntax, pdf.media_type, xml.media_type) == ("Factur-X", "application/pdf", "application/xml")
    same = dataclasses.replace(pdf, syntax="CII", source=xml.source, data=xml.data, media_type=xml.media_type)
    assert same == xml and pdf.data == (SAMPLES / "04.05a-facturx.pdf").read_bytes()
    assert (pdf.number, pdf.total, pdf.due_on) == ("2020-1", Decimal("119.00"), date(2020, 1, 17))


def test_what_is_no_e_invoice_is_refused_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "kaputt.xml").write_text("<Invoice><unclosed></Invoice>", encoding="utf-8")
    with pytest.raises(EInvoiceError, match="kaputt.xml: not well-formed XML"):
        read_einvoice(tmp_path / "kaputt.xml")
    (tmp_path / "fremd.xml").write_text("<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'/>", "utf-8")
    with pytest.raises(EInvoiceError, match="fremd.xml: neither an XRechnung"):
        read_einvoice(tmp_path / "fremd.xml")
    (tmp_path / "leer.pdf").write_bytes((SAMPLES / "04.05a-facturx.pdf").read_bytes()[:400])
    with pytest.raises(EInvoiceError, match="leer.pdf"):
        read_einvoice(tmp_path / "leer.pdf")


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = new_ledger(tmp_path / "e.kontor", "pw", company_name="[Buyer name]")
    yield ledger
    ledger.close()


def test_a_zip_of_e_invoices_becomes_payables_with_the_suppliers_iban(ledger: Ledger, tmp_path: Path) -> None:
    archive = tmp_path / "eingang.zip"
    names = ["01.07a-INVOICE_ubl.xml", "01.21a-INVOICE_uncefact.xml", "04.04a-INVOICE_ubl.xml"]
    with zipfile.ZipFile(archive, "w") as out:
        for name in names:
            out.write(SAMPLES / name, name)
        out.writestr("readme.txt", "not an invoice")
    result = import_invoices(ledger, archive, actor="anna")
    assert (result.kind, result.new) == (PAYABLE, 3)
    with ledger.session() as session:
        rows = session.execute(select(Invoice.number, Invoice.kind, Invoice.amount_cents, Invoice.due_on,
                                      Customer.name, Customer.iban).join(Customer)).all()  # fmt: skip
    assert sorted(rows) == [
        ("17794", "payable", 417_544, None, "Test Gerüstbau GmbH", "DE79000000001234567890"),
        ("18383", "payable", 23_300, date(2020, 12, 27), "Mustermann GmbH", "DE79000000001234567890"),
        ("R1234567", "payable", 4_522, date(2016, 8, 14), "[Seller name]", "DE79000000001234567890"),
    ]
    assert import_invoices(ledger, archive, actor="anna").unchanged == 3  # a re-import changes nothing


def test_one_bad_file_in_a_batch_imports_nothing(ledger: Ledger, tmp_path: Path) -> None:
    archive = tmp_path / "eingang.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(SAMPLES / "01.07a-INVOICE_ubl.xml", "gut.xml")
        out.writestr(
            "schlecht.xml", "<ubl:Invoice xmlns:ubl='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>"
        )
    with pytest.raises(InvoiceImportError, match="schlecht.xml: line 1 does not follow the UBL 2.1 schema"):
        import_invoices(ledger, archive, actor="anna")
    with ledger.session() as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_our_own_e_invoice_is_a_receivable(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path / "v.kontor", "pw", company_name="Mustermann GmbH")
    try:
        result = import_invoices(ledger, SAMPLES / "01.21a-INVOICE_ubl.xml", actor="anna")
        assert (result.kind, result.new) == ("receivable", 1)
    finally:
        ledger.close()


# ZUGFeRD / Factur-X samples of FeRD: file -> (number, gross total, amount due, IBAN)
ZUGFERD = {
    "zugferd-xml_basic_1.xml": ("471102", "235.62", "235.62", ""),
    "zugferd-xml_en16931_1.xml": ("471102", "529.87", "529.87", "DE5467894567876500"),
    "zugferd-xml_en16931_2.xml": ("471102", "215.07", "165.07", ""),  # 50.00 prepaid
    "zugferd-xml_en16931_3.xml": ("F20200024", "108.00", "108.00", "FR7612542547256985425874698"),
    "zugferd-xml_xrechnung_1.xml": ("471102", "529.87", "529.87", "DE02120300000000202051"),
    "zugferd-pdf_fx_minimum_1.pdf": ("F20220027", "110.00", "100.00", ""),
    "zugferd-pdf_fx_extended_1.pdf": ("F20200027", "110.00", "100.00", "FR7612542547256985425874698"),
    "zugferd-pdf_zf_en16931_1.pdf": ("471102", "529.87", "529.87", ""),
    "zugferd-pdf_zf_en16931_3.pdf": ("471102", "215.07", "165.07", ""),
    "zugferd-pdf_zf_extended_1.pdf": ("KR87654321012", "480.22", "480.22", ""),
    "zugferd-pdf_zf_xrechnung_1.pdf": ("471102", "529.87", "529.87", "DE02120300000000202051"),  # as xrechnung.xml
}


@pytest.mark.parametrize(("name", "expected"), sorted(ZUGFERD.items()))
def test_zugferd_profiles_from_minimum_to_extended(name: str, expected: tuple[str, str, str, str]) -> None:
    invoice = read_einvoice(SAMPLES / name)
    number, total, due, iban = expected
    assert (invoice.number, invoice.total, invoice.due, invoice.iban) == (number, Decimal(total), Decimal(due), iban)
    assert invoice.syntax == ("Factur-X" if name.endswith(".pdf") else "CII")


@pytest.mark.parametrize("name", ["zugferd-pdf_plain.pdf", "zugferd-pdf_invalid.pdf"])
def test_a_pdf_without_an_invoice_is_refused(name: str) -> None:
    with pytest.raises(EInvoiceError, match=f"{name}: a PDF without an embedded ZUGFeRD/Factur-X invoice"):
        read_einvoice(SAMPLES / name)


def test_a_sample_that_breaks_its_schema_is_refused_with_line_and_element(ledger: Ledger) -> None:
    """FeRD's EXTENDED sample puts InvoiceeTradeParty after the payment means, where the schema does not allow it."""
    with pytest.raises(InvoiceImportError) as raised:
        import_invoices(ledger, SAMPLES / "zugferd-xml_extended_1.xml", actor="anna")
    assert (
        "zugferd-xml_extended_1.xml: line 295 does not follow the CII (EXTENDED) schema: "
        "Element 'InvoiceeTradeParty': This element is not expected."
    ) in str(raised.value)
    with ledger.session() as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_an_invoice_missing_a_required_element_is_refused(tmp_path: Path) -> None:
    xml = (SAMPLES / "01.07a-INVOICE_ubl.xml").read_text(encoding="utf-8")
    start, end = xml.index("<cbc:IssueDate>"), xml.index("</cbc:IssueDate>") + len("</cbc:IssueDate>")
    (tmp_path / "ohne-datum.xml").write_text(xml[:start] + xml[end:], encoding="utf-8")
    with pytest.raises(EInvoiceError, match=r"ohne-datum.xml: line \d+ does not follow the UBL 2.1 schema:.*IssueDate"):
        read_einvoice(tmp_path / "ohne-datum.xml")


def test_the_sample_set_covers_every_syntax_and_profile() -> None:
    broken = ("pdf_plain", "pdf_invalid", "xml_extended_1")
    readable = [p for p in SAMPLES.iterdir() if p.suffix in (".xml", ".pdf") and not any(b in p.name for b in broken)]
    assert len(readable) >= 20
    syntaxes = {read_einvoice(path).syntax for path in readable}
    assert syntaxes == {"UBL", "CII", "Factur-X"}


def test_a_payable_from_an_e_invoice_is_paid_and_its_payment_matches_it(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "zahlen.kontor")
    try:
        [result] = import_einvoices(ledger, [SAMPLES / "zugferd-xml_xrechnung_1.xml"], actor="anna")
        assert (result.kind, result.new) == (PAYABLE, 1)
        order = transfer_from_invoice(ledger, "471102", actor="anna")
        assert order.amount == Decimal("529.87")
        submit_run(ledger, order.run_id, actor="anna", today=TODAY)
        assert approve_run(ledger, order.run_id, approver=signed_in(ledger, "bob")).approved
        export_run(ledger, order.run_id, tmp_path / "run.xml", actor="bob")
        paid = Booking(date(2026, 3, 4), Decimal("-529.87"), "Lieferant GmbH", "DE02120300000000202051", "471102",
                       e2e=order.end_to_end_id)  # fmt: skip
        (tmp_path / "march.xml").write_text(camt053(OWN, [paid], opening=Decimal("5000")), encoding="utf-8")
        import_statement_files(
            ledger, [tmp_path / "march.xml"], actor="anna", after_import=after_statement_import("anna")
        )
        assert run_row(ledger, order.run_id).status == "booked"
        [row] = [row for row in invoice_rows(ledger, InvoiceFilter(kind=PAYABLE)) if row.number == "471102"]
        assert (row.number, row.status, row.open_amount) == ("471102", "paid", Decimal("0.00"))
    finally:
        ledger.close()


def test_a_damaged_zip_is_named_as_one(ledger: Ledger, tmp_path: Path) -> None:
    (tmp_path / "eingang.zip").write_bytes(b"PK\x03\x04 not really an archive")
    with pytest.raises(InvoiceImportError, match="eingang.zip: not a readable ZIP archive"):
        import_invoices(ledger, tmp_path / "eingang.zip", actor="anna")
