"""Reconciliation on a real encrypted ledger: statements and invoices in, allocations, learning, undo, returns out."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import func, select
from statement_files import Booking, mt940

from app.models.schema import Allocation, AuditEvent, LearnedPayer, Transaction
from app.services.invoices.importing import PAYABLE
from app.services.invoices.open_items import InvoiceFilter, invoice_rows, search_open_invoices
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.matching import MatchConfig
from app.services.reconciliation.allocations import (
    allocate_manually,
    ignore_payment,
    suggestions,
    undo_allocation,
    undo_last_allocation,
)
from app.services.reconciliation.automatic import after_statement_import, match_payments
from app.services.reconciliation.booking import ReconciliationError
from app.services.reconciliation.engine_input import load_config, save_config
from app.services.reconciliation.export import EXPORT_COLUMNS, export_allocations
from app.services.reconciliation.import_and_match import import_invoices_and_match
from app.services.reconciliation.notifications import mark_read, notifications, unread_count
from app.services.statements.importing import import_statement_files

pytestmark = pytest.mark.both_ledgers

OWN = "DE89370400440532013000"
MUELLER = "DE02120300000000202051"
NEUMANN_NEW = "DE44500105175407324931"
LEHMANN = "DE12500105170648489890"
TODAY = date(2026, 3, 17)
INVOICES = """Rechnungsnummer;Kunde;Kundennummer;IBAN;Rechnungsdatum;Fällig am;Betrag brutto
RE-2026-0042;Müller Metallbau GmbH;K10001;DE02120300000000202051;02.03.2026;16.03.2026;1.190,00
RE-2026-0043;Schmidt & Söhne KG;K10002;;03.03.2026;17.03.2026;2.380,50
RE-2026-0050;Bäckerei Weber e.K.;K10003;;04.03.2026;18.03.2026;500,00
RE-2026-0051;Bäckerei Weber e.K.;K10003;;05.03.2026;19.03.2026;300,00
RE-2026-0060;Neumann Logistik GmbH;K10005;DE75512108001245126199;05.03.2026;19.03.2026;750,00
RE-2026-0061;Neumann Logistik GmbH;K10005;;06.03.2026;20.03.2026;420,00
RE-2026-0070;Lehmann KG;K10007;DE12500105170648489890;06.03.2026;20.03.2026;999,00
"""
MARCH = [
    Booking(date(2026, 3, 10), Decimal("1190.00"), "Müller Metallbau GmbH", MUELLER, "Rechnung RE-2026-0042"),
    Booking(date(2026, 3, 11), Decimal("2380.50"), "Schmidt und Soehne", "DE27100777770209299700", "RE 2026 0043"),
    Booking(date(2026, 3, 12), Decimal("800.00"), "Weber Backwaren", "DE91100000000123456789", "Sammelzahlung"),
    Booking(date(2026, 3, 12), Decimal("1234.56"), "Finanzamt Berlin", "DE10100000000010001520", "Erstattung USt 2025"),
    Booking(date(2026, 3, 13), Decimal("3.12"), "", "", "Habenzinsen"),
    Booking(date(2026, 3, 14), Decimal("750.00"), "P. Neumann privat", NEUMANN_NEW, "Zahlung"),
    Booking(date(2026, 3, 15), Decimal("999.00"), "Lehmann KG", LEHMANN, "Lastschrift RE-2026-0070", "E2E-70", "171"),
]


@dataclass
class Scenario:
    ledger: Ledger
    tmp: Path
    tx: dict[str, int]  # counterparty -> transaction id
    inv: dict[str, int]  # number -> invoice id

    def statement(self, name: str, bookings: list[Booking]) -> None:
        path = self.tmp / name
        path.write_text(mt940(OWN, bookings, opening=Decimal("0")), encoding="utf-8")
        [result] = import_statement_files(
            self.ledger, [path], actor="anna", after_import=after_statement_import("anna")
        )
        assert result.ok, result.error
        self.refresh()

    def refresh(self) -> None:
        with self.ledger.session() as session:
            for tx in session.scalars(select(Transaction).order_by(Transaction.id)):
                self.tx.setdefault(tx.counterparty_name or tx.purpose, tx.id)

    def row(self, number: str):  # noqa: ANN201
        [found] = [row for row in invoice_rows(self.ledger, today=TODAY) if row.number == number]
        return found

    def state(self, key: str) -> str:
        with self.ledger.session() as session:
            tx = session.get(Transaction, self.tx[key])
            assert tx is not None
            return tx.reconciliation


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    ledger = new_ledger(tmp_path / "rec.kontor", "pw", company_name="Abgleich GmbH")
    (tmp_path / "invoices.csv").write_text(INVOICES, encoding="utf-8")
    import_invoices_and_match(ledger, tmp_path / "invoices.csv", actor="anna")
    found = Scenario(ledger, tmp_path, {}, {row.number: row.id for row in invoice_rows(ledger)})
    found.statement("march.sta", MARCH)
    yield found
    ledger.close()


def test_statement_import_matches_the_clear_payments_with_notifications(scenario: Scenario) -> None:
    s = scenario
    assert s.state("Mueller Metallbau GmbH") == "matched"  # number, amount and the IBAN from the invoice export
    assert s.state("Schmidt und Soehne") == "matched"  # number with other separators, name resembles
    assert s.state("Lehmann KG") == "matched"
    for key in ("Weber Backwaren", "Finanzamt Berlin", "Habenzinsen", "P. Neumann privat"):
        assert s.state(key) == "open", key  # unclear or unrelated: never booked alone
    assert s.row("RE-2026-0042").status == "paid" and s.row("RE-2026-0042").open_amount == Decimal("0.00")
    messages = [n.message for n in notifications(s.ledger)]
    assert "Invoice RE-2026-0042 paid by Mueller Metallbau GmbH, €1,190.00" in messages
    assert len(messages) == 3 and unread_count(s.ledger) == 3
    mark_read(s.ledger)
    assert unread_count(s.ledger) == 0 and notifications(s.ledger, unread_only=True) == []
    again = match_payments(s.ledger, actor="anna")
    assert (again.payments, again.auto, again.suggested, again.open) == (4, 0, 2, 2)
    with s.ledger.session() as session:
        assert session.scalar(select(func.count(Allocation.id))) == 3
        assert audit.verify(session).ok


def test_unclear_payments_get_ranked_suggestions_unrelated_ones_none(scenario: Scenario) -> None:
    s = scenario
    [weber] = suggestions(s.ledger, s.tx["Weber Backwaren"])
    assert weber.kind == "collective" and 0 < weber.score < 0.85
    assert [(a.invoice_number, a.amount) for a in weber.allocations] == [
        ("RE-2026-0050", Decimal("500.00")),
        ("RE-2026-0051", Decimal("300.00")),
    ]
    assert any("Weber" in reason for reason in weber.reasons)
    assert suggestions(s.ledger, s.tx["Finanzamt Berlin"]) == []
    assert suggestions(s.ledger, s.tx["Habenzinsen"]) == []
    assert [row.number for row in search_open_invoices(s.ledger, "weber")] == ["RE-2026-0051", "RE-2026-0050"]
    assert search_open_invoices(s.ledger, "RE-2026-0042") == []  # paid


def test_manual_allocation_to_several_invoices_with_amounts(scenario: Scenario) -> None:
    s = scenario
    weber = s.tx["Weber Backwaren"]
    with pytest.raises(ReconciliationError, match="only €800.00 of the payment is left"):
        allocate_manually(
            s.ledger,
            weber,
            [(s.inv["RE-2026-0050"], Decimal("500")), (s.inv["RE-2026-0051"], Decimal("301"))],
            actor="bob",
        )
    with pytest.raises(ReconciliationError, match="RE-2026-0051: €350.00 is more than the open €300.00"):
        allocate_manually(s.ledger, weber, [(s.inv["RE-2026-0051"], Decimal("350"))], actor="bob")
    allocate_manually(s.ledger, weber, [(s.inv["RE-2026-0050"], Decimal("450.00"))], actor="bob")
    assert s.state("Weber Backwaren") == "partial" and s.row("RE-2026-0050").status == "partial"
    allocate_manually(
        s.ledger,
        weber,
        [(s.inv["RE-2026-0050"], Decimal("50.00")), (s.inv["RE-2026-0051"], Decimal("300.00"))],
        actor="bob",
    )
    assert s.state("Weber Backwaren") == "matched"
    assert {s.row(n).status for n in ("RE-2026-0050", "RE-2026-0051")} == {"paid"}
    with s.ledger.session() as session:
        methods = session.scalars(select(Allocation.method).where(Allocation.transaction_id == weber)).all()
        assert methods == ["manual"] * 3
        assert audit.verify(session).ok


def test_learning_makes_the_next_payment_from_a_new_iban_match(scenario: Scenario) -> None:
    s = scenario
    [best, *_rest] = suggestions(s.ledger, s.tx["P. Neumann privat"])
    assert best.allocations[0].invoice_number == "RE-2026-0060" and best.score < 0.85
    allocate_manually(s.ledger, s.tx["P. Neumann privat"], [(s.inv["RE-2026-0060"], Decimal("750.00"))], actor="bob")
    with s.ledger.session() as session:
        learned = {(row.key_kind, row.key) for row in session.scalars(select(LearnedPayer))}
    assert ("iban", NEUMANN_NEW) in learned and ("name", "neumann privat") in learned
    s.statement("april.sta", [Booking(date(2026, 3, 21), Decimal("420.00"), "P. Neumann privat", NEUMANN_NEW, "Danke")])
    assert s.row("RE-2026-0061").status == "paid"
    assert any("RE-2026-0061" in n.message for n in notifications(s.ledger))


def test_undo_restores_open_amounts_and_is_not_redone(scenario: Scenario) -> None:
    s = scenario
    assert undo_allocation(s.ledger, transaction_id=s.tx["Mueller Metallbau GmbH"], actor="bob") == 1
    row = s.row("RE-2026-0042")
    assert (row.status, row.overdue_days, row.open_amount) == ("overdue", 1, Decimal("1190.00"))
    assert row.status_label == "overdue (1 day)"
    assert s.state("Mueller Metallbau GmbH") == "open"
    assert match_payments(s.ledger, actor="anna").auto == 0  # the bookkeeper's undo stands
    assert suggestions(s.ledger, s.tx["Mueller Metallbau GmbH"])[0].allocations[0].invoice_number == "RE-2026-0042"
    with s.ledger.session() as session:
        allocation_id = session.scalar(select(Allocation.id).where(Allocation.transaction_id == s.tx["Lehmann KG"]))
        deletes = session.scalars(select(AuditEvent.summary).where(AuditEvent.action == "delete")).all()
    assert deletes == ["undo RE-2026-0042 (auto)"]
    assert undo_allocation(s.ledger, allocation_id=allocation_id, actor="bob") == 1
    assert s.row("RE-2026-0070").status == "open"
    with s.ledger.session() as session:
        assert audit.verify(session).ok


def test_undo_last_takes_back_the_actors_last_map_booking_only(scenario: Scenario) -> None:
    s = scenario
    assert undo_last_allocation(s.ledger, actor="bob") is None  # only automatic ones so far: not bob's to undo
    weber, neumann = s.tx["Weber Backwaren"], s.tx["P. Neumann privat"]
    allocate_manually(s.ledger, weber, [(s.inv["RE-2026-0050"], Decimal("500.00"))], actor="bob")
    allocate_manually(s.ledger, weber, [(s.inv["RE-2026-0051"], Decimal("300.00"))], actor="bob")
    allocate_manually(s.ledger, neumann, [(s.inv["RE-2026-0060"], Decimal("750.00"))], actor="anna")
    undone = undo_last_allocation(s.ledger, actor="bob")
    assert undone is not None
    assert (undone.transaction_id, undone.invoice_numbers, undone.amount) == (
        weber,
        ("RE-2026-0050", "RE-2026-0051"),
        Decimal("800.00"),
    )
    assert s.state("Weber Backwaren") == "open" and s.state("P. Neumann privat") == "matched"  # anna's stays
    assert s.state("Mueller Metallbau GmbH") == "matched"  # the engine's booking is not bob's
    assert undo_last_allocation(s.ledger, actor="bob") is None
    with s.ledger.session() as session:
        assert audit.verify(session).ok


def test_ignored_payment_stays_out_until_undone(scenario: Scenario) -> None:
    s = scenario
    ignore_payment(s.ledger, s.tx["Finanzamt Berlin"], "tax refund", actor="bob")
    assert s.state("Finanzamt Berlin") == "ignored"
    with pytest.raises(ReconciliationError, match="ignored"):
        allocate_manually(s.ledger, s.tx["Finanzamt Berlin"], [(s.inv["RE-2026-0043"], Decimal("1"))], actor="bob")
    assert match_payments(s.ledger, actor="anna").payments == 3
    undo_allocation(s.ledger, transaction_id=s.tx["Finanzamt Berlin"], actor="bob")
    assert s.state("Finanzamt Berlin") == "open"
    with s.ledger.session() as session:
        assert audit.verify(session).ok


def test_returned_debit_reopens_the_invoice_with_a_notification(scenario: Scenario) -> None:
    s = scenario
    assert s.row("RE-2026-0070").status == "paid"
    back = Booking(
        date(2026, 3, 18), Decimal("-999.00"), "Lehmann KG", LEHMANN, "Rueckbelastung", "E2E-70", "109", reason="MD06"
    )
    s.statement("return.sta", [back])
    row = s.row("RE-2026-0070")
    assert (row.status, row.open_amount) == ("open", Decimal("999.00"))
    assert s.state("Lehmann KG") == "ignored"
    messages = [n.message for n in notifications(s.ledger, unread_only=True)]
    assert any("RE-2026-0070 is open again" in m and "MD06" in m for m in messages)
    with s.ledger.session() as session:
        returned = session.scalar(select(Transaction).where(Transaction.amount_cents == -99900))
        assert returned is not None and returned.reconciliation == "ignored"
        assert audit.verify(session).ok


def test_export_allocations_has_the_agreed_columns(scenario: Scenario) -> None:
    s = scenario
    out = s.tmp / "allocations.csv"
    assert export_allocations(s.ledger, out) == 3
    with out.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0][:8] == [
        "bank_reference",
        "booking_date",
        "amount",
        "counterparty_name",
        "invoice_number",
        "allocated_amount",
        "method",
        "confidence",
    ]
    assert tuple(rows[0]) == EXPORT_COLUMNS
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["booking_date"], first["amount"], first["invoice_number"]) == (
        "2026-03-10",
        "1190.00",
        "RE-2026-0042",
    )
    assert (first["allocated_amount"], first["method"]) == ("1190.00", "auto")
    assert 0.85 <= float(first["confidence"]) <= 1


def test_dry_run_books_nothing_and_config_round_trips(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path / "dry.kontor", "pw", company_name="Trocken GmbH")
    try:
        (tmp_path / "invoices.csv").write_text(INVOICES, encoding="utf-8")
        import_invoices_and_match(ledger, tmp_path / "invoices.csv", actor="anna")
        path = tmp_path / "march.sta"
        path.write_text(mt940(OWN, MARCH, opening=Decimal("0")), encoding="utf-8")
        import_statement_files(ledger, [path], actor="anna")  # no hook: nothing matched yet
        dry = match_payments(ledger, actor="anna", dry_run=True)
        assert (dry.auto, dry.dry_run) == (3, True) and len(dry.allocations) == 3
        with ledger.session() as session:
            assert session.scalar(select(func.count(Allocation.id))) == 0
        config = load_config(ledger)
        config.auto_threshold = 1.01  # above any score: automatic booking off
        save_config(ledger, config, actor="anna")
        assert load_config(ledger).auto_threshold == 1.01
        strict = match_payments(ledger, actor="anna")
        assert strict.auto == 0 and strict.suggested >= 3
        save_config(ledger, MatchConfig(), actor="anna")
        first = match_payments(ledger, actor="anna", transaction_ids=[1])
        assert (first.payments, first.auto) == (1, 1)
        with ledger.session() as session:
            assert audit.verify(session).ok
    finally:
        ledger.close()


def test_payables_are_matched_against_outgoing_payments(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path / "pay.kontor", "pw", company_name="Einkauf GmbH")
    try:
        supplier = "Invoice number,Supplier,Supplier number,IBAN,Invoice date,Amount\n"
        supplier += "ER-5531,Hanse Stahlhandel GmbH,L-1,DE75512108001245126199,2026-03-01,4820.00\n"
        (tmp_path / "payables.csv").write_text(supplier, encoding="utf-8")
        import_invoices_and_match(ledger, tmp_path / "payables.csv", kind=PAYABLE, actor="anna")
        bookings = [
            Booking(date(2026, 3, 9), Decimal("-4820.00"), "Hanse Stahlhandel", "DE75512108001245126199", "ER-5531"),
            Booking(date(2026, 3, 9), Decimal("4820.00"), "Jemand", "DE27100777770209299700", "ER-5531"),
        ]
        (tmp_path / "p.sta").write_text(mt940(OWN, bookings, opening=Decimal("0")), encoding="utf-8")
        import_statement_files(ledger, [tmp_path / "p.sta"], actor="anna", after_import=after_statement_import("anna"))
        rows = invoice_rows(ledger, InvoiceFilter(kind=PAYABLE))
        assert [(row.number, row.status) for row in rows] == [("ER-5531", "paid")]
        with ledger.session() as session:
            states = dict(session.execute(select(Transaction.amount_cents, Transaction.reconciliation)).all())
        assert states == {-482000: "matched", 482000: "open"}  # a credit never settles a payable
        assert [n.message for n in notifications(ledger)] == [
            "Invoice ER-5531 of Hanse Stahlhandel GmbH paid, €4,820.00"
        ]
    finally:
        ledger.close()
