"""Transfers: field checks, business days, duplicate and recipient warnings, invoice payment through to booking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from statement_files import Booking, camt053
from test_payments_support import (
    DUPONT_FR,
    HUBER_AT,
    OWN,
    TODAY,
    WEBER,
    WEBER_NEW,
    add_history,
    opened_ledger,
    signed_in,
)

from app.models.schema import Allocation, Invoice, PaymentOrder, PaymentRun
from app.services.formatting import grouped_iban
from app.services.invoices.open_items import InvoiceFilter, invoice_rows
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.payments.approvals import approve_run
from app.services.payments.business_days import (
    add_business_days,
    earliest_collection,
    is_business_day,
    next_business_day,
    target2_holidays,
)
from app.services.payments.orders import WarningsToConfirm, create_transfer, transfer_from_invoice
from app.services.payments.runs import after_statement_import, export_run, run_row, submit_run
from app.services.payments.sepa_checks import (
    PaymentError,
    keeps_umlauts,
    parse_amount,
    resolve_bic,
    sepa_text,
    transliterate,
    validate_creditor_id,
    validate_iban,
)
from app.services.statements.importing import import_statement_files

pytestmark = pytest.mark.both_ledgers


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with opened_ledger(tmp_path / "firma.kontor") as opened:
        yield opened


def test_iban_is_validated_and_bic_derived_for_germany_and_austria() -> None:
    assert validate_iban("de89 3704 0044 0532 0130 00") == OWN
    assert resolve_bic(OWN) == "COBADEFFXXX"
    assert resolve_bic(HUBER_AT) == "RLNWATWWXXX"
    with pytest.raises(PaymentError) as asked:
        resolve_bic(DUPONT_FR)
    assert asked.value.field == "bic" and "FR" in asked.value.message
    assert resolve_bic(DUPONT_FR, "psstfrpp") == "PSSTFRPP"
    with pytest.raises(PaymentError) as wrong:
        validate_iban("DE89370400440532013001")
    assert wrong.value.field == "iban"
    with pytest.raises(PaymentError, match="bic"):
        resolve_bic(OWN, "NOTABIC")


def test_creditor_id_check_digits() -> None:
    assert validate_creditor_id("de98 zzz0 9999 9999 99") == "DE98ZZZ09999999999"
    assert validate_creditor_id("DE98ABC09999999999") == "DE98ABC09999999999"  # the business code is not checked
    for wrong in ("DE97ZZZ09999999999", "DE98ZZZ0999999999", "", "98ZZZ09999999999"):
        with pytest.raises(PaymentError) as error:
            validate_creditor_id(wrong)
        assert error.value.field == "creditor_id"


def test_remittance_is_transliterated_not_dropped_and_limited_to_140() -> None:
    assert transliterate("Bäckerei Größe & Söhne – Rechnung #7 für Café") == (
        "Baeckerei Groesse + Soehne - Rechnung Nr.7 fuer Cafe"
    )
    assert transliterate("ÄÖÜ äöü ß") == "AeOeUe aeoeue ss"
    assert sepa_text("x" * 140, field="text", limit=140) == "x" * 140
    with pytest.raises(PaymentError) as too_long:
        sepa_text("ä" * 71, field="text", limit=140)  # 71 umlauts become 142 characters
    assert too_long.value.field == "text" and "142" in too_long.value.message
    assert parse_amount("1.234,56") == Decimal("1234.56")
    assert parse_amount("123.45") == Decimal("123.45")
    assert parse_amount("300") == Decimal("300.00")
    assert parse_amount("1,250.00") == parse_amount("1.250,00") == Decimal("1250.00")  # never 1.25
    for bad in ("0", "-5", "1,234", "1.234", "abc", "1,2345"):
        with pytest.raises(PaymentError, match="amount"):
            parse_amount(bad)


def test_target2_business_days_and_lead_times() -> None:
    assert target2_holidays(2026) == {
        date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1), date(2026, 12, 25), date(2026, 12, 26)
    }  # fmt: skip
    assert date(2025, 4, 18) in target2_holidays(2025) and date(2025, 4, 21) in target2_holidays(2025)
    assert not is_business_day(date(2026, 3, 7))  # Saturday
    assert is_business_day(date(2026, 10, 3)) is False  # a Saturday in 2026 anyway
    assert is_business_day(date(2026, 10, 5))  # German holidays do not matter, only TARGET2's
    assert next_business_day(date(2026, 4, 2)) == date(2026, 4, 2)
    assert next_business_day(date(2026, 4, 3)) == date(2026, 4, 7)  # Good Friday to the Tuesday after Easter
    assert add_business_days(date(2026, 4, 2), 1) == date(2026, 4, 7)
    assert add_business_days(date(2026, 12, 23), 2) == date(2026, 12, 28)
    assert earliest_collection(date(2026, 3, 6), 1) == date(2026, 3, 9)  # Friday + 1 → Monday
    assert earliest_collection(date(2026, 3, 2), 5) == date(2026, 3, 9)


def test_transfer_fields_are_checked_and_named(ledger: Ledger) -> None:
    done = create_transfer(ledger, name="Müller & Co", iban=HUBER_AT, amount="12,50", text="Danke für die Lieferung",
                           actor="anna", today=TODAY)  # fmt: skip
    assert done.execution_on == TODAY and done.amount == Decimal("12.50")
    with ledger.session() as session:
        order = session.get(PaymentOrder, done.order_id)
        assert (order.name, order.bic, order.remittance) == ("Müller + Co", "RLNWATWWXXX", "Danke fuer die Lieferung")
    cases = [
        ({"iban": DUPONT_FR}, "bic"),
        ({"iban": "DE00123"}, "iban"),
        ({"amount": "0,00"}, "amount"),
        ({"execution_on": date(2026, 3, 7)}, "date"),
        ({"execution_on": date(2026, 2, 27)}, "date"),
        ({"text": "ü" * 71}, "text"),
        ({"name": ""}, "name"),
        ({"end_to_end_id": "mit Leerzeichen"}, "end_to_end_id"),
        ({"account_iban": WEBER}, "from_account"),
    ]
    for change, field in cases:
        values = {"name": "Dupont SA", "iban": WEBER, "amount": "10", "text": "Test"} | change
        with pytest.raises(PaymentError) as error:
            create_transfer(ledger, actor="anna", today=TODAY, **values)  # type: ignore[arg-type]
        assert error.value.field == field, (change, error.value)
    instant = create_transfer(ledger, name="Dupont SA", iban=DUPONT_FR, bic="PSSTFRPP", amount="10", text="Sofort",
                              instant=True, execution_on=date(2026, 3, 4), actor="anna", today=TODAY)  # fmt: skip
    assert instant.run_id != done.run_id  # instant and a different date: another run


def test_duplicates_warn(ledger: Ledger) -> None:
    first = transfer_from_invoice(ledger, "ER-2026-001", actor="anna")
    assert [w.kind for w in first.warnings] == ["first_time"]
    again = transfer_from_invoice(ledger, "ER-2026-001", actor="anna")
    kinds = [w.kind for w in again.warnings]
    assert kinds.count("duplicate") == 1 and "already in run" in again.warnings[0].message
    same = create_transfer(ledger, name="Weber", iban=WEBER, amount="50", text="Miete März", actor="anna", today=TODAY)
    assert not [w for w in same.warnings if w.kind == "duplicate"]
    twice = create_transfer(ledger, name="Weber", iban=WEBER, amount="50,00", text="miete  märz", actor="anna",
                            today=TODAY)  # fmt: skip
    assert any("same recipient, amount and text" in w.message for w in twice.warnings)
    add_history(ledger, [(date(2026, 2, 20), "Weber", WEBER_NEW, Decimal("75.00"), "SVWZ+Wartung Februar")])
    recent = create_transfer(ledger, name="Weber", iban=WEBER_NEW, amount="75", text="Wartung Februar",
                             actor="anna", today=TODAY)  # fmt: skip
    assert any("went to this IBAN on" in w.message for w in recent.warnings)


def test_recipient_warnings_first_time_changed_iban_unusual_amount(ledger: Ledger) -> None:
    add_history(
        ledger,
        [(date(2025, m, 3), "Bäckerei Weber e.K.", WEBER, Decimal("100.00"), f"Brot {m}") for m in range(1, 7)],
    )
    usual = create_transfer(ledger, name="Bäckerei Weber e.K.", iban=WEBER, amount="110", text="Brot März",
                            actor="anna", today=TODAY)  # fmt: skip
    assert usual.warnings == ()
    large = create_transfer(ledger, name="Bäckerei Weber e.K.", iban=WEBER, amount="301", text="Brot Fest",
                            actor="anna", today=TODAY)  # fmt: skip
    assert [w.kind for w in large.warnings] == ["large_amount"] and "3" in large.warnings[0].message
    changed = create_transfer(ledger, name="Baeckerei Weber e.K.", iban=WEBER_NEW, amount="100", text="Brot April",
                              actor="anna", today=TODAY)  # fmt: skip
    assert [w.kind for w in changed.warnings] == ["changed_iban"]  # not also "first payment ever": it is not
    assert grouped_iban(WEBER) in changed.warnings[0].message and grouped_iban(WEBER_NEW) in changed.warnings[0].message
    huge = create_transfer(ledger, name="Neu GmbH", iban=HUBER_AT, amount="10000,01", text="Maschine",
                           actor="anna", today=TODAY)  # fmt: skip
    assert [w.kind for w in huge.warnings] == ["first_time", "large_amount"]


def test_an_order_with_warnings_to_confirm_is_not_written(ledger: Ledger) -> None:
    add_history(
        ledger,
        [(date(2025, m, 3), "Bäckerei Weber e.K.", WEBER, Decimal("100.00"), f"Brot {m}") for m in range(1, 7)],
    )
    weber = {"name": "Bäckerei Weber e.K.", "iban": WEBER, "actor": "anna", "today": TODAY}
    with pytest.raises(WarningsToConfirm) as held:
        create_transfer(ledger, amount="301", text="Brot Fest", confirm_warnings=True, **weber)  # type: ignore[arg-type]
    assert [w.kind for w in held.value.warnings] == ["large_amount"]
    with ledger.session() as session:
        assert session.scalars(select(PaymentRun)).all() == []  # not even the draft run it would have opened
        events = audit.verify(session).events
    usual = create_transfer(ledger, amount="110", text="Brot März", confirm_warnings=True, **weber)  # type: ignore[arg-type]
    assert usual.warnings == ()  # nothing to confirm: added at once
    confirmed = create_transfer(ledger, amount="301", text="Brot Fest", **weber)  # type: ignore[arg-type]
    assert [w.kind for w in confirmed.warnings] == ["large_amount"]  # kept on the order for the approver
    with ledger.session() as session:
        assert len(session.scalars(select(PaymentOrder)).all()) == 2
        assert audit.verify(session).events > events


def _pay_the_reported_open_amount(ledger: Ledger, tmp_path: Path) -> int:
    """An invoice list says 1,000 of 1,190 are open; Kontor transfers them and the statement books the order.

    The statement also holds a second 1,000 payment with the same reference but another end-to-end ID. Returns the
    run's order id.
    """
    with ledger.writer() as session:  # a partial payment earlier: only the open amount is transferred
        invoice = session.scalar(select(Invoice).where(Invoice.number == "ER-2026-001"))
        invoice.reported_open_cents = 100000
    done = transfer_from_invoice(ledger, "ER-2026-001", actor="anna")
    assert done.amount == Decimal("1000.00")
    with ledger.session() as session:
        order = session.get(PaymentOrder, done.order_id)
        assert (order.name, order.iban, order.remittance) == ("Bäckerei Weber e.K.", WEBER, "ER-2026-001")
    submit_run(ledger, done.run_id, actor="anna", today=TODAY)
    assert approve_run(ledger, done.run_id, approver=signed_in(ledger, "bob")).approved
    export_run(ledger, done.run_id, tmp_path / "run.xml", actor="bob")
    assert run_row(ledger, done.run_id).status == "sent"

    statement = tmp_path / "march.xml"
    other = Booking(date(2026, 3, 3), Decimal("-1000.00"), "Weber", WEBER, "ER-2026-001", e2e="SOMETHING-ELSE")
    ours = Booking(
        date(2026, 3, 3), Decimal("-1000.00"), "Baeckerei Weber", WEBER, "ER-2026-001", e2e=done.end_to_end_id
    )
    statement.write_text(camt053(OWN, [other, ours], opening=Decimal("5000")), encoding="utf-8")
    results = import_statement_files(ledger, [statement], actor="anna", after_import=after_statement_import("anna"))
    assert not results[0].error and results[0].new == 2
    assert run_row(ledger, done.run_id).status == "booked"
    return done.order_id


def test_invoice_paid_by_transfer_is_booked_when_the_statement_arrives(ledger: Ledger, tmp_path: Path) -> None:
    order_id = _pay_the_reported_open_amount(ledger, tmp_path)
    with ledger.session() as session:
        order = session.get(PaymentOrder, order_id)
        assert order.transaction_id is not None
        assert session.get(PaymentRun, order.run_id).status == "booked"
        # Our booking pays the invoice; the other 1,000 (a second payment?) is not taken as a 190 overpayment.
        allocations = session.execute(select(Allocation.transaction_id, Allocation.amount_cents)).all()
        assert allocations == [(order.transaction_id, 100000)]
        assert audit.verify(session).ok


@pytest.mark.xfail(
    strict=True,
    reason="open amount is min(amount - allocations, reported open): a part paid outside Kontor, known only from the "
    "invoice list, is counted again once Kontor allocates, so 190.00 stays open (was hidden by a wrong automatic "
    "allocation of the second payment)",
)
def test_invoice_paid_by_transfer_of_its_reported_open_amount_is_paid(ledger: Ledger, tmp_path: Path) -> None:
    _pay_the_reported_open_amount(ledger, tmp_path)
    rows = invoice_rows(ledger, InvoiceFilter(kind="payable"))
    assert [(row.number, row.open_amount, row.status) for row in rows] == [("ER-2026-001", Decimal("0.00"), "paid")]


def test_umlauts_stay_in_names_paid_from_a_german_account_only() -> None:
    assert transliterate("Bäckerei Weber & Söhne, Großhandel") == "Baeckerei Weber + Soehne, Grosshandel"
    kept = transliterate("Bäckerei Weber & Söhne, Großhandel", umlauts=True)
    assert kept == "Bäckerei Weber + Söhne, Großhandel"  # the DK's customer character set; the rest stays SEPA
    assert transliterate("Café  Lumière", umlauts=True) == "Cafe Lumiere"
    assert keeps_umlauts("DE89 3704 0044 0532 0130 00") and not keeps_umlauts("AT611904300234573201")
