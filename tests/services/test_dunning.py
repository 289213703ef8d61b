"""Dunning on a real encrypted ledger: what is proposed, the PDF letter and its GiroCode, levels after sending."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from ledger_templates import new_ledger
from pypdf import PdfReader
from sqlalchemy import select
from statement_files import Booking, mt940

from app.models.dunning import DunningLetter
from app.services.dunning.interest import BASE_RATES, default_interest_cents
from app.services.dunning.letters import epc_payload
from app.services.dunning.proposal import propose
from app.services.dunning.runs import (
    DunningError,
    create_run,
    discard_run,
    hold,
    letter_pdf,
    letters_for_invoice,
    lift_holds,
    mark_sent,
    set_customer_details,
)
from app.services.invoices.importing import import_invoices
from app.services.invoices.open_items import invoice_rows
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.reconciliation.automatic import match_payments
from app.services.statements.importing import import_statement_files

OWN = "DE89370400440532013000"
WEBER = "DE44500105175407324931"
TODAY = date(2026, 3, 31)
INVOICES = """Rechnungsnummer;Kunde;Kundennummer;IBAN;Rechnungsdatum;Fällig am;Betrag brutto
RE-2026-0001;Müller Feinmechanik GmbH;K10001;DE02120300000000202051;01.02.2026;15.02.2026;1.190,00
RE-2026-0002;Müller Feinmechanik GmbH;K10001;DE02120300000000202051;10.02.2026;24.02.2026;238,00
RE-2026-0003;Bäckerei Weber;K10002;DE44500105175407324931;01.03.2026;27.03.2026;595,00
RE-2026-0004;Anna Schmidt;K10003;;01.02.2026;20.02.2026;99,00
RE-2026-0005;Hoffmann Bau KG;K10004;;01.03.2026;30.04.2026;5.000,00
"""


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = new_ledger(tmp_path / "mahnung.kontor", "pw", company_name="Brenner Feinmechanik GmbH")
    (tmp_path / "rechnungen.csv").write_text(INVOICES, encoding="utf-8")
    import_invoices(ledger, tmp_path / "rechnungen.csv", actor="anna")
    opening = [Booking(date(2026, 1, 2), Decimal("10.00"), "Einlage", OWN, "Start")]
    (tmp_path / "konto.sta").write_text(mt940(OWN, opening, opening=Decimal("0")), encoding="utf-8")
    import_statement_files(ledger, [tmp_path / "konto.sta"], actor="anna")
    set_customer_details(ledger, "K10001", actor="anna", address="Werkstraße 4\n90402 Nürnberg")
    set_customer_details(ledger, "K10003", actor="anna", consumer=True)
    yield ledger
    ledger.close()


def test_the_proposal_takes_overdue_invoices_at_their_first_level(ledger: Ledger) -> None:
    letters = {letter.customer_number: letter for letter in propose(ledger, today=TODAY)}
    # Weber's invoice is 4 days overdue (the reminder waits 7), Hoffmann's is not due yet
    assert sorted(letters) == ["K10001", "K10003"]
    mueller = letters["K10001"]
    assert [item.number for item in mueller.items] == ["RE-2026-0001", "RE-2026-0002"]
    assert (mueller.level, mueller.fee_cents, mueller.interest_cents) == (1, 0, 0)  # a reminder: no interest
    assert mueller.total_cents == 142_800 and mueller.held == ""


def test_a_run_makes_a_pdf_per_customer_with_a_scannable_girocode(ledger: Ledger, tmp_path: Path) -> None:
    run = create_run(ledger, actor="anna", today=TODAY)
    assert run.status == "draft" and [letter.customer_number for letter in run.letters] == ["K10003", "K10001"]
    mueller = next(letter for letter in run.letters if letter.customer_number == "K10001")
    pdf = letter_pdf(ledger, mueller.id)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("Zahlungserinnerung", "Müller Feinmechanik GmbH", "Werkstraße 4", "90402 Nürnberg",
                     "RE-2026-0001", "RE-2026-0002", "1.190,00 €", "238,00 €", "1.428,00 €", "10.04.2026",
                     "DE89 3704 0044 0532 0130 00", "Brenner Feinmechanik GmbH"):  # fmt: skip
        assert expected in text, expected
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=3).to_pil()
    [code] = zxingcpp.read_barcodes(image)
    assert code.text == epc_payload(
        name="Brenner Feinmechanik GmbH", iban=OWN, bic="COBADEFFXXX", cents=142_800,
        reference="K10001 RE-2026-0001 RE-2026-0002",
    )  # fmt: skip
    assert code.text.splitlines()[:8] == ["BCD", "002", "1", "SCT", "COBADEFFXXX", "Brenner Feinmechanik GmbH",
                                          OWN, "EUR1428.00"]  # fmt: skip
    with ledger.session() as session:
        assert audit.verify(session).ok


def test_levels_advance_only_when_the_run_is_marked_as_sent(ledger: Ledger) -> None:
    first = create_run(ledger, actor="anna", today=TODAY)
    assert {item.level for letter in propose(ledger, today=TODAY) for item in letter.items} == {1}  # draft: no change
    mark_sent(ledger, first.id, actor="anna")
    assert propose(ledger, today=TODAY) == []  # level 2 waits 14 days after the reminder
    row = next(row for row in invoice_rows(ledger, today=TODAY) if row.number == "RE-2026-0001")
    assert row.dunning_level == 1 and row.status_label == "overdue (44 days), dunning level 1"
    later = date(2026, 4, 14)
    letters = {letter.customer_number: letter for letter in propose(ledger, today=later)}
    mueller = letters["K10001"]
    assert mueller.level == 2 and mueller.fee_cents == 500
    # interest from the day after the due date to the letter's date, 9 points over the base rate (business)
    expected = default_interest_cents(119_000, date(2026, 2, 15), later, BASE_RATES, consumer=False)
    assert mueller.items[0].interest_cents == expected == 1942  # 119000 ct × 10.27 % × 58 / 365 = 1942.0
    consumer = letters["K10003"].items[0]
    assert consumer.interest_cents == default_interest_cents(9_900, date(2026, 2, 20), later, BASE_RATES, consumer=True)
    # Weber's first reminder comes now, on its own level
    assert letters["K10002"].level == 1
    second = create_run(ledger, actor="anna", today=later)
    assert [row.level for row in letters_for_invoice(ledger, "RE-2026-0001")] == [1, 2]
    assert second.letters and {row.run_id for row in letters_for_invoice(ledger, "RE-2026-0001")} == {
        first.id,
        second.id,
    }


def test_holds_and_an_unallocated_payment_keep_a_customer_out(ledger: Ledger, tmp_path: Path) -> None:
    hold(ledger, actor="anna", invoice="RE-2026-0004", until=date(2026, 4, 15), reason="Zahlung zugesagt")
    hold(ledger, actor="anna", customer="K10001")
    assert propose(ledger, today=TODAY) == []
    held = {row.number: row.status_label for row in invoice_rows(ledger, today=TODAY) if row.dunning_held}
    assert held == {
        "RE-2026-0001": "overdue (44 days), dunning on hold",
        "RE-2026-0002": "overdue (35 days), dunning on hold",
        "RE-2026-0004": "overdue (39 days), dunning on hold",
    }
    assert lift_holds(ledger, actor="anna", customer="K10001") == 1
    payment = [Booking(date(2026, 3, 30), Decimal("100.00"), "Müller Feinmechanik", "DE02120300000000202051", "Danke")]
    (tmp_path / "zahlung.sta").write_text(mt940(OWN, payment, opening=Decimal("10.00"), statement="2/1"), "utf-8")
    import_statement_files(ledger, [tmp_path / "zahlung.sta"], actor="anna")
    [mueller] = propose(ledger, today=TODAY)
    assert mueller.held == "a payment of €100.00 on 2026-03-30 is not allocated yet"
    with pytest.raises(DunningError, match="No letters to make today"):
        create_run(ledger, actor="anna", today=TODAY)  # the held customer is left out unless named
    run = create_run(ledger, actor="anna", today=TODAY, include_held=[mueller.customer_id])
    assert [letter.customer_number for letter in run.letters] == ["K10001"]
    assert "K10003" in {letter.customer_number for letter in propose(ledger, today=date(2026, 4, 16))}  # promise passed


def test_a_draft_run_can_be_discarded_and_a_sent_one_not(ledger: Ledger) -> None:
    run = create_run(ledger, actor="anna", today=TODAY)
    discard_run(ledger, run.id, actor="anna")
    with ledger.session() as session:
        assert session.scalars(select(DunningLetter)).all() == []
        assert audit.verify(session).ok
    again = create_run(ledger, actor="anna", today=TODAY)
    mark_sent(ledger, again.id, actor="anna")
    with pytest.raises(DunningError, match="cannot be taken back"):
        discard_run(ledger, again.id, actor="anna")


def test_a_girocode_refuses_an_amount_it_cannot_carry() -> None:
    with pytest.raises(ValueError, match="outside"):
        epc_payload(name="X", iban=OWN, bic="", cents=0, reference="")


def test_a_returned_payment_reopens_the_invoice_and_its_fee_goes_on_the_letter(ledger: Ledger, tmp_path: Path) -> None:
    paid = [Booking(date(2026, 3, 20), Decimal("595.00"), "Bäckerei Weber", WEBER, "RE-2026-0003", "E2E-3")]
    (tmp_path / "zahlung.sta").write_text(mt940(OWN, paid, opening=Decimal("10.00"), statement="2/1"), "utf-8")
    import_statement_files(ledger, [tmp_path / "zahlung.sta"], actor="anna")
    match_payments(ledger, actor="anna")
    assert "K10002" not in {letter.customer_number for letter in propose(ledger, today=date(2026, 4, 10))}
    back = [Booking(date(2026, 3, 25), Decimal("-598.00"), "Bäckerei Weber", WEBER, "Rueckbelastung", "E2E-3", "109",
                    reason="MD06")]  # fmt: skip
    (tmp_path / "ruecklastschrift.sta").write_text(
        mt940(OWN, back, opening=Decimal("605.00"), statement="3/1"), "utf-8"
    )
    import_statement_files(ledger, [tmp_path / "ruecklastschrift.sta"], actor="anna")
    match_payments(ledger, actor="anna")
    [weber] = [letter for letter in propose(ledger, today=date(2026, 4, 10)) if letter.customer_number == "K10002"]
    assert (weber.open_cents, weber.fees_cents, weber.total_cents) == (59_500, 300, 59_800)
    run = create_run(ledger, actor="anna", today=date(2026, 4, 10), exclude=[1, 3])
    [letter] = [row for row in run.letters if row.customer_number == "K10002"]
    text = PdfReader(io.BytesIO(letter_pdf(ledger, letter.id))).pages[0].extract_text()
    assert "Rücklastschriftgebühren" in text and "3,00 €" in text and "598,00 €" in text
    with ledger.session() as session:
        assert audit.verify(session).ok
