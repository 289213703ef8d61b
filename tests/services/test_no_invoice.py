"""Bookings without an invoice: transfers between own accounts recognised, several marked at once, rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import select
from statement_files import Booking, mt940

from app.models.schema import BankAccount, NoInvoiceRule, Transaction
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.reconciliation.automatic import after_statement_import
from app.services.reconciliation.booking import ReconciliationError
from app.services.reconciliation.no_invoice import mark_no_invoice
from app.services.statements.importing import import_statement_files

OWN = "DE89370400440532013000"
SAVINGS = "DE02120300000000202051"
PAYROLL = "DE44500105175407324931"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = new_ledger(tmp_path / "n.kontor", "pw", company_name="Firma GmbH")
    yield opened
    opened.close()


def _import(ledger: Ledger, tmp_path: Path, name: str, iban: str, bookings: list[Booking]) -> None:
    (tmp_path / name).write_text(mt940(iban, bookings, opening=Decimal("0")), encoding="utf-8")
    [result] = import_statement_files(
        ledger, [tmp_path / name], actor="anna", after_import=after_statement_import("anna")
    )
    assert result.ok, result.error


def _states(ledger: Ledger) -> dict[str, tuple[str, str]]:
    with ledger.session() as session:
        return {tx.purpose: (tx.reconciliation, tx.reconciliation_note) for tx in session.scalars(select(Transaction))}


def test_a_transfer_between_own_accounts_is_recognised_on_import(ledger: Ledger, tmp_path: Path) -> None:
    _import(ledger, tmp_path, "spar.sta", SAVINGS, [Booking(date(2026, 3, 1), Decimal("1"), "Start", OWN, "Einlage")])
    with ledger.session() as session:
        assert {a.iban for a in session.scalars(select(BankAccount))} == {SAVINGS}
    _import(ledger, tmp_path, "giro.sta", OWN, [
        Booking(date(2026, 3, 2), Decimal("-5000"), "Firma GmbH", SAVINGS, "Umbuchung Tagesgeld"),
        Booking(date(2026, 3, 2), Decimal("-2100"), "Max Muster", PAYROLL, "Lohn Februar"),
    ])  # fmt: skip
    states = _states(ledger)
    assert states["Umbuchung Tagesgeld"] == ("ignored", "Transfer between own accounts")
    assert states["Lohn Februar"] == ("open", "")


def test_several_bookings_are_marked_at_once_and_a_rule_covers_the_next(ledger: Ledger, tmp_path: Path) -> None:
    _import(ledger, tmp_path, "feb.sta", OWN, [
        Booking(date(2026, 2, 27), Decimal("-2100"), "Max Muster", PAYROLL, "Lohn Februar"),
        Booking(date(2026, 2, 27), Decimal("-2200"), "Max Muster", PAYROLL, "Lohn Januar Nachzahlung"),
    ])  # fmt: skip
    with ledger.session() as session:
        ids = list(session.scalars(select(Transaction.id).order_by(Transaction.id)))
    assert mark_no_invoice(ledger, ids, "salary", note="Lohn", always_for_iban=True, actor="anna") == 2
    assert set(_states(ledger).values()) == {("ignored", "Salary: Lohn")}
    _import(ledger, tmp_path, "mar.sta", OWN, [Booking(date(2026, 3, 31), Decimal("-2100"), "Max Muster", PAYROLL,
                                                       "Lohn Maerz")])  # fmt: skip
    assert _states(ledger)["Lohn Maerz"] == ("ignored", "Salary: by rule")
    with ledger.session() as session:
        assert [(r.iban, r.category) for r in session.scalars(select(NoInvoiceRule))] == [(PAYROLL, "salary")]
        assert audit.verify(session).ok


def test_marking_is_all_or_nothing(ledger: Ledger, tmp_path: Path) -> None:
    _import(ledger, tmp_path, "feb.sta", OWN, [
        Booking(date(2026, 2, 27), Decimal("-30"), "Bank", "", "Kontofuehrung"),
        Booking(date(2026, 2, 27), Decimal("-40"), "Tankstelle", "DE10100000000010001520", "Karte 1234"),
    ])  # fmt: skip
    with ledger.session() as session:
        ids = list(session.scalars(select(Transaction.id).order_by(Transaction.id)))
    with pytest.raises(ReconciliationError, match="one account"):  # a rule needs one IBAN; nothing is marked
        mark_no_invoice(ledger, ids, "fee", always_for_iban=True, actor="anna")
    assert set(_states(ledger).values()) == {("open", "")}
    with pytest.raises(ReconciliationError, match="Unknown category"):
        mark_no_invoice(ledger, ids, "bribe", actor="anna")
