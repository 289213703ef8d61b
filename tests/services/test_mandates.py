"""Direct debits: mandates, creditor ID, lead times, sequence types advancing, expiry after 36 months unused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select
from test_payments_support import KUNDE, TODAY, WEBER, opened_ledger, signed_in

from app.models.schema import AuditEvent, CompanySettings, Mandate
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.payments.approvals import approve_run
from app.services.payments.mandates import (
    add_mandate,
    add_months,
    amend_mandate,
    list_mandates,
    mark_final,
    revoke_mandate,
)
from app.services.payments.orders import create_debit, debits_from_open_receivables
from app.services.payments.runs import export_run, run_orders, submit_run
from app.services.payments.sepa_checks import PaymentError
from app.services.payments.settings import PaymentConfig, load_payment_config, save_payment_config

NS = "{urn:iso:std:iso:20022:tech:xsd:pain.008.001.08}"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with opened_ledger(tmp_path / "firma.kontor") as opened:
        yield opened


def _mandate(ledger: Ledger, **changes: object) -> None:
    values = {"customer_number": "K-200", "reference": "M-K200-1", "signed_on": date(2025, 5, 1), "iban": KUNDE}
    add_mandate(ledger, actor="anna", today=TODAY, **(values | changes))  # type: ignore[arg-type]


def _collect(ledger: Ledger, run_id: int, out: Path) -> etree._Element:
    submit_run(ledger, run_id, actor="anna", today=TODAY)
    assert approve_run(ledger, run_id, approver=signed_in(ledger, "bob")).approved
    export_run(ledger, run_id, out, actor="bob")
    return etree.parse(str(out)).getroot()


def test_mandate_is_recorded_with_derived_bic_and_transliterated_name(ledger: Ledger) -> None:
    _mandate(ledger)
    [row] = list_mandates(ledger, today=TODAY)
    assert (row.reference, row.debtor_name, row.debtor_bic, row.sequence, row.status) == (
        "M-K200-1", "Schaefer + Soehne KG", "INGDDEFFXXX", "FRST", "active"
    )  # fmt: skip
    for change, field in [
        ({"reference": "M-K200-1"}, "reference"),
        ({"reference": "mit Leerzeichen"}, "reference"),
        ({"reference": "M2", "customer_number": "nope"}, "customer"),
        ({"reference": "M3", "signed_on": date(2026, 3, 3)}, "signed"),
        ({"reference": "M4", "iban": "DE00"}, "iban"),
    ]:
        with pytest.raises(PaymentError) as error:
            _mandate(ledger, **change)
        assert error.value.field == field


def test_debit_needs_a_valid_creditor_id_and_an_active_mandate(ledger: Ledger) -> None:
    with pytest.raises(PaymentError) as no_mandate:
        create_debit(ledger, customer_number="K-200", invoice_number="RE-2026-0042", actor="anna", today=TODAY)
    assert no_mandate.value.field == "mandate"
    _mandate(ledger)
    with pytest.raises(PaymentError, match="B2B") as no_b2b:
        create_debit(ledger, customer_number="K-200", amount="10", text="x", b2b=True, actor="anna", today=TODAY)
    assert no_b2b.value.field == "mandate"
    with ledger.writer() as session:
        session.query(CompanySettings).one().creditor_id = "DE97ZZZ09999999999"
    with pytest.raises(PaymentError) as wrong_id:
        create_debit(ledger, customer_number="K-200", amount="10", text="x", actor="anna", today=TODAY)
    assert wrong_id.value.field == "creditor_id"


def test_lead_time_is_configurable_and_due_dates_are_business_days(ledger: Ledger) -> None:
    _mandate(ledger)
    friday = date(2026, 3, 6)
    first = create_debit(ledger, customer_number="K-200", amount="10", text="a", actor="anna", today=friday)
    assert first.execution_on == date(2026, 3, 9)  # one TARGET2 day after Friday
    with pytest.raises(PaymentError) as early:
        create_debit(ledger, customer_number="K-200", amount="10", text="b", collection_on=friday, actor="anna",
                     today=friday)  # fmt: skip
    assert early.value.field == "date" and "2026-03-09" in early.value.message
    save_payment_config(ledger, PaymentConfig(lead_days_first=5, lead_days_core=2), actor="dora")
    assert load_payment_config(ledger).lead_days_first == 5
    frst = create_debit(ledger, customer_number="K-200", amount="10", text="c", actor="anna", today=friday)
    assert frst.execution_on == date(2026, 3, 13)  # five business days for a first debit
    due = create_debit(ledger, customer_number="K-200", invoice_number="RE-2026-0042", actor="anna", today=TODAY)
    assert (due.execution_on, due.amount) == (date(2026, 3, 10), Decimal("500.00"))  # the invoice's due date


def test_sequence_advances_after_the_first_collection_and_amendments_are_sent_once(
    ledger: Ledger, tmp_path: Path
) -> None:
    _mandate(ledger)
    first = create_debit(ledger, customer_number="K-200", invoice_number="RE-2026-0042", actor="anna", today=TODAY)
    assert [row.sequence for row in run_orders(ledger, first.run_id)] == ["FRST"]
    root = _collect(ledger, first.run_id, tmp_path / "first.xml")
    assert root.findtext(f".//{NS}SeqTp") == "FRST" and root.findtext(f".//{NS}MndtId") == "M-K200-1"
    [row] = list_mandates(ledger, today=TODAY)
    assert (row.sequence, row.last_used_on) == ("RCUR", date(2026, 3, 10))

    amend_mandate(ledger, "M-K200-1", new_reference="M-K200-2", iban=WEBER, actor="anna")
    second = create_debit(ledger, customer_number="K-200", invoice_number="RE-2026-0043", actor="anna", today=TODAY)
    root = _collect(ledger, second.run_id, tmp_path / "second.xml")
    assert root.findtext(f".//{NS}SeqTp") == "RCUR"
    assert root.findtext(f".//{NS}AmdmntInd") == "true"
    assert root.findtext(f".//{NS}AmdmntInfDtls/{NS}OrgnlMndtId") == "M-K200-1"
    assert root.findtext(f".//{NS}OrgnlDbtrAgt/{NS}FinInstnId/{NS}Othr/{NS}Id") == "SMNDA"  # another bank
    [row] = list_mandates(ledger, today=TODAY)
    assert (row.reference, row.original_reference, row.original_debtor_iban) == ("M-K200-2", "", "")

    mark_final(ledger, "M-K200-2", actor="anna")
    last = create_debit(ledger, customer_number="K-200", amount="1", text="Schluss", actor="anna", today=TODAY)
    root = _collect(ledger, last.run_id, tmp_path / "last.xml")
    assert root.findtext(f".//{NS}SeqTp") == "FNAL"
    assert list_mandates(ledger, today=TODAY)[0].status == "expired"
    with ledger.session() as session:
        assert audit.verify(session).ok


def test_listing_shows_a_lapsed_mandate_as_expired_without_writing(ledger: Ledger) -> None:
    _mandate(ledger, signed_on=date(2023, 3, 2))
    with ledger.session() as session:
        events_before = session.scalar(select(func.count(AuditEvent.id)))
    [row] = list_mandates(ledger, today=TODAY)
    assert row.status == "expired"
    with ledger.session() as session:
        assert session.scalar(select(func.count(AuditEvent.id))) == events_before
        assert session.scalar(select(Mandate.status)) == "active"  # written when a debit would use it


def test_mandate_expires_after_36_months_unused_and_revoked_ones_refuse(ledger: Ledger) -> None:
    assert add_months(date(2024, 2, 29), 36) == date(2027, 2, 28)
    _mandate(ledger, signed_on=date(2023, 3, 2))
    assert list_mandates(ledger, today=date(2026, 3, 1))[0].status == "active"
    with pytest.raises(PaymentError, match="expired") as error:
        create_debit(ledger, customer_number="K-200", amount="10", text="x", actor="anna", today=TODAY)
    assert error.value.field == "mandate"
    _mandate(ledger, reference="M-NEU", signed_on=date(2026, 2, 1))
    assert create_debit(ledger, customer_number="K-200", amount="10", text="x", actor="anna", today=TODAY).amount
    revoke_mandate(ledger, "M-NEU", actor="anna")
    with pytest.raises(PaymentError, match="revoked"):
        create_debit(ledger, customer_number="K-200", amount="10", text="y", actor="anna", today=TODAY)


def test_debits_from_open_receivables_skip_those_already_in_a_run(ledger: Ledger) -> None:
    _mandate(ledger)
    created = debits_from_open_receivables(ledger, actor="anna", today=TODAY)
    assert sorted(result.amount for result in created) == [Decimal("25.50"), Decimal("500.00")]
    assert debits_from_open_receivables(ledger, actor="anna", today=TODAY) == []
