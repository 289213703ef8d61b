"""Paying a payable that came as an e-invoice: the account it names, its Skonto, and the original kept with it."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from statement_files import Booking, camt053
from test_payments_support import OWN, PASS, PASSWORDS, TODAY, WEBER, WEBER_NEW, make_ledger, signed_in

from app.cli import main
from app.models.schema import Allocation, AuditEvent, Customer, Invoice, InvoiceDocument, PaymentRun
from app.services.formatting import grouped_iban
from app.services.invoices.einvoice_import import import_einvoices
from app.services.invoices.open_items import InvoiceFilter, invoice_rows
from app.services.invoices.originals import OriginalError, invoice_id_by_number, invoice_original, viewing_copy
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.users import UserError
from app.services.matching import PAYABLE
from app.services.payments.account_confirmation import confirm_payee_account
from app.services.payments.approvals import approve_run
from app.services.payments.orders import create_transfer, order_warnings, transfer_from_invoice
from app.services.payments.runs import after_statement_import, export_run, list_runs, orders_of, run_row, submit_run
from app.services.payments.sepa_checks import PaymentError
from app.services.statements.importing import import_statement_files

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "einvoices"
SKONTO_SAMPLE = "01.10a-INVOICE_ubl.xml"  # 2,594.20 €: 2 % within 7 days, 1 % within 14, net 30


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = make_ledger(tmp_path / "eingang.kontor")
    yield ledger
    ledger.close()


def _skonto_invoice(tmp_path: Path, issued_on: str) -> Path:
    """The test suite's Skonto case, dated into the payment tests' calendar."""
    xml = (SAMPLES / SKONTO_SAMPLE).read_text(encoding="utf-8")
    xml = xml.replace("<cbc:IssueDate>2016-06-27", f"<cbc:IssueDate>{issued_on}")
    path = tmp_path / "skonto.xml"  # and a payee account of a real bank, so that the transfer has a BIC
    path.write_text(xml.replace("DE79000000001234567890", WEBER), encoding="utf-8")
    return path


def test_within_the_first_period_the_transfer_takes_two_percent_on_its_last_day(ledger: Ledger, tmp_path: Path) -> None:
    import_einvoices(ledger, [_skonto_invoice(tmp_path, "2026-02-27")], actor="anna")
    order = create_transfer(ledger, invoice_number="Rechnungsnummer", actor="anna", today=TODAY)
    # 2 % of 2,594.20 € is 51.88 €; 7 days after Friday 27 February is Friday 6 March, a business day
    assert (order.amount, order.execution_on) == (Decimal("2542.32"), date(2026, 3, 6))
    assert "51.88" in order.note and "2026-03-06" in order.note
    with ledger.session() as session:
        run = session.get(PaymentRun, order.run_id)
        assert run.execution_on == date(2026, 3, 6)


def test_after_the_first_period_the_second_tier_applies(ledger: Ledger, tmp_path: Path) -> None:
    import_einvoices(ledger, [_skonto_invoice(tmp_path, "2026-02-20")], actor="anna")
    # 7 days ended on 27 February; 14 days end on Friday 6 March: 1 % of 2,594.20 € is 25.94 €
    order = create_transfer(ledger, invoice_number="Rechnungsnummer", actor="anna", today=TODAY)
    assert (order.amount, order.execution_on) == (Decimal("2568.26"), date(2026, 3, 6))


def test_skonto_ending_on_a_weekend_is_paid_on_the_friday_before(ledger: Ledger, tmp_path: Path) -> None:
    import_einvoices(ledger, [_skonto_invoice(tmp_path, "2026-03-01")], actor="anna")  # + 7 days: Sunday 8 March
    order = create_transfer(ledger, invoice_number="Rechnungsnummer", actor="anna", today=TODAY)
    assert (order.amount, order.execution_on) == (Decimal("2542.32"), date(2026, 3, 6))


def test_with_every_period_over_the_full_amount_is_paid_at_once(ledger: Ledger, tmp_path: Path) -> None:
    import_einvoices(ledger, [_skonto_invoice(tmp_path, "2026-01-02")], actor="anna")
    order = create_transfer(ledger, invoice_number="Rechnungsnummer", actor="anna", today=TODAY)
    assert (order.amount, order.execution_on, order.note) == (Decimal("2594.20"), TODAY, "")


def test_a_date_chosen_after_the_period_pays_in_full(ledger: Ledger, tmp_path: Path) -> None:
    import_einvoices(ledger, [_skonto_invoice(tmp_path, "2026-02-27")], actor="anna")
    order = create_transfer(
        ledger, invoice_number="Rechnungsnummer", execution_on=date(2026, 3, 30), actor="anna", today=TODAY
    )
    assert (order.amount, order.execution_on) == (Decimal("2594.20"), date(2026, 3, 30))


def test_the_skonto_payment_closes_the_invoice_when_booked(ledger: Ledger, tmp_path: Path) -> None:
    import_einvoices(ledger, [_skonto_invoice(tmp_path, "2026-02-27")], actor="anna")
    order = create_transfer(ledger, invoice_number="Rechnungsnummer", actor="anna", today=TODAY)
    submit_run(ledger, order.run_id, actor="anna", today=TODAY)
    assert approve_run(ledger, order.run_id, approver=signed_in(ledger, "bob")).approved
    export_run(ledger, order.run_id, tmp_path / "run.xml", actor="bob")
    paid = Booking(date(2026, 3, 6), Decimal("-2542.32"), "[Seller name]", WEBER,
                   "Rechnungsnummer abzgl. 2% Skonto", e2e=order.end_to_end_id)  # fmt: skip
    (tmp_path / "maerz.xml").write_text(camt053(OWN, [paid], opening=Decimal("5000")), encoding="utf-8")
    import_statement_files(ledger, [tmp_path / "maerz.xml"], actor="anna", after_import=after_statement_import("anna"))
    assert run_row(ledger, order.run_id).status == "booked"
    [row] = [row for row in invoice_rows(ledger, InvoiceFilter(kind=PAYABLE)) if row.number == "Rechnungsnummer"]
    assert (row.status, row.open_amount) == ("paid", Decimal("0.00"))
    with ledger.session() as session:
        allocation = session.scalars(select(Allocation)).one()
        assert (allocation.amount_cents, allocation.discount_cents) == (254232, 5188)


def _variant(tmp_path: Path, number: str, iban: str) -> Path:
    """FeRD's XRechnung sample of "Lieferant GmbH" with another invoice number and payee account."""
    xml = (SAMPLES / "zugferd-xml_xrechnung_1.xml").read_text(encoding="utf-8")
    xml = xml.replace("<ram:ID>471102</ram:ID>", f"<ram:ID>{number}</ram:ID>", 1)
    path = tmp_path / f"{number}.xml"
    path.write_text(xml.replace(f"<ram:IBANID>{WEBER}</ram:IBANID>", f"<ram:IBANID>{iban}</ram:IBANID>"), "utf-8")
    return path


def test_an_invoice_naming_a_new_account_is_paid_there_with_a_fraud_warning(ledger: Ledger, tmp_path: Path) -> None:
    import_einvoices(ledger, [SAMPLES / "zugferd-xml_xrechnung_1.xml"], actor="anna")  # Lieferant GmbH, WEBER
    first = transfer_from_invoice(ledger, "471102", actor="anna")
    assert [w.kind for w in first.warnings if w.kind == "changed_iban"] == []
    import_einvoices(ledger, [_variant(tmp_path, "471103", WEBER_NEW)], actor="anna")
    order = transfer_from_invoice(ledger, "471103", actor="anna")
    [warning] = [w for w in order.warnings if w.kind == "changed_iban"]
    assert "471103" in warning.message and grouped_iban(WEBER_NEW) in warning.message
    assert grouped_iban(WEBER) in warning.message
    assert "fraud" in warning.message
    with ledger.session() as session:
        run = session.get(PaymentRun, order.run_id)
        orders = orders_of(session, run.id)
        assert {o.iban for o in orders} == {WEBER, WEBER_NEW}
        # the approver sees it again when the run is opened for approval
        shown = [w.message for w in order_warnings(session, run, orders, today=TODAY) if w.kind == "changed_iban"]
        assert shown == [warning.message]


def test_an_approver_who_called_the_supplier_confirms_the_new_account(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import_einvoices(ledger, [SAMPLES / "zugferd-xml_xrechnung_1.xml"], actor="anna")  # Lieferant GmbH, WEBER
    import_einvoices(ledger, [_variant(tmp_path, "471103", WEBER_NEW)], actor="anna")
    order = transfer_from_invoice(ledger, "471103", actor="carla")
    assert [w.kind for w in order.warnings] == ["changed_iban"]  # not also "first payment ever"
    with pytest.raises(UserError, match="anna is a bookkeeper"):
        confirm_payee_account(ledger, order.order_id, actor="anna")
    with pytest.raises(PaymentError, match="carla created this order"):
        confirm_payee_account(ledger, order.order_id, actor="carla")  # the first pair of eyes cannot lift it
    with ledger.session() as session:
        assert session.scalar(select(Customer.iban).where(Customer.name == "Lieferant GmbH")) == WEBER
    for name, value in {
        "KONTOR_PASSPHRASE": PASS,
        "KONTOR_USER": "bob",
        "KONTOR_USER_PASSWORD": PASSWORDS["bob"],
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["--ledger", str(ledger.path), "pay", "confirm-account", str(order.order_id)]) == 0
    assert (
        capsys.readouterr().out.strip()
        == f"The account of order {order.order_id} is now Lieferant GmbH's account on record."
    )
    with pytest.raises(PaymentError, match="already Lieferant GmbH's account"):
        confirm_payee_account(ledger, order.order_id, actor="bob")
    import_einvoices(ledger, [_variant(tmp_path, "471104", WEBER_NEW)], actor="anna")
    later = transfer_from_invoice(ledger, "471104", actor="anna")
    assert [w for w in later.warnings if w.kind == "changed_iban"] == []  # the confirmed account is on record
    with ledger.session() as session:
        summaries = session.scalars(select(AuditEvent.summary).where(AuditEvent.actor == "bob")).all()
        assert any("confirmed for invoice 471103" in summary for summary in summaries)
        assert audit.verify(session).ok


def test_an_order_sent_elsewhere_than_the_invoice_asks_is_flagged(ledger: Ledger, tmp_path: Path) -> None:
    import_einvoices(ledger, [SAMPLES / "zugferd-xml_xrechnung_1.xml"], actor="anna")
    order = create_transfer(ledger, invoice_number="471102", iban=WEBER_NEW, actor="anna", today=TODAY)
    messages = [w.message for w in order.warnings if w.kind == "changed_iban"]
    assert any(
        f"asks for payment to {grouped_iban(WEBER)}; this order goes to {grouped_iban(WEBER_NEW)}" in m
        for m in messages
    )


def test_the_original_file_is_kept_with_its_digest_audited(ledger: Ledger, tmp_path: Path) -> None:
    source = SAMPLES / "zugferd-pdf_zf_en16931_1.pdf"
    import_einvoices(ledger, [source], actor="anna")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    invoice_id = invoice_id_by_number(ledger, "471102", PAYABLE)
    original = invoice_original(ledger, invoice_id)
    assert (original.filename, original.media_type, original.digest) == (source.name, "application/pdf", digest)
    assert original.data == source.read_bytes()
    with ledger.session() as session:
        events = session.scalars(select(AuditEvent.summary).where(AuditEvent.entity == "invoice_documents")).all()
        assert events == [f"471102: {source.name} sha256 {digest}"]
        assert audit.verify(session).ok
    copy = viewing_copy(original)
    assert copy.read_bytes() == source.read_bytes() and copy.suffix == ".pdf"
    assert [row.has_original for row in invoice_rows(ledger) if row.number == "471102"] == [True]


def test_a_re_import_of_another_file_replaces_the_original(ledger: Ledger, tmp_path: Path) -> None:
    import_einvoices(ledger, [SAMPLES / "zugferd-xml_xrechnung_1.xml"], actor="anna")
    import_einvoices(ledger, [SAMPLES / "zugferd-xml_xrechnung_1.xml"], actor="anna")  # the same: no new event
    import_einvoices(ledger, [SAMPLES / "zugferd-pdf_zf_xrechnung_1.pdf"], actor="anna")  # the same invoice as PDF
    with ledger.session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity == "invoice_documents").order_by(AuditEvent.id)
        ).all()
        assert actions == ["create", "update"]
        assert session.scalars(select(InvoiceDocument.media_type)).all() == ["application/pdf"]


def test_an_original_changed_in_the_file_is_not_handed_out(ledger: Ledger) -> None:
    import_einvoices(ledger, [SAMPLES / "zugferd-xml_xrechnung_1.xml"], actor="anna")
    with ledger.writer() as session:
        document = session.scalars(select(InvoiceDocument)).one()
        document.data = document.data.replace(WEBER.encode(), WEBER_NEW.encode())
        invoice_id = session.scalar(select(Invoice.id).where(Invoice.number == "471102"))
    with pytest.raises(OriginalError, match="does not match the digest"):
        invoice_original(ledger, invoice_id)


def test_an_invoice_from_a_csv_has_no_original(ledger: Ledger) -> None:
    with pytest.raises(OriginalError, match="No original file"):
        invoice_original(ledger, invoice_id_by_number(ledger, "ER-2026-001"))


def test_an_invoice_the_seller_collects_by_direct_debit_is_not_paid_again(ledger: Ledger) -> None:
    import_einvoices(ledger, [SAMPLES / "zugferd-xml_en16931_3.xml"], actor="anna")  # mandate "MANDATE PT"
    with pytest.raises(PaymentError, match="LE FOURNISSEUR collects invoice F20200024 by direct debit"):
        transfer_from_invoice(ledger, "F20200024", actor="anna")
    assert list_runs(ledger) == []
