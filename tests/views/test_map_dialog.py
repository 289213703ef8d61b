"""The Map dialog on a small ledger: suggestions with reasons, a split allocation, 'no invoice', undo, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from reconciliation_ledger import OWN, SmallLedger, build
from sqlalchemy import func, select
from statement_files import Booking, mt940

from app.models.schema import Allocation, Transaction
from app.services.invoices.open_items import invoice_rows
from app.services.reconciliation.allocations import suggestions
from app.services.reconciliation.draft import AllocationDraft, payment_to_map
from app.services.statements.importing import import_statement_files
from app.views import map_dialog as map_dialog_module
from app.views.allocation_table_model import AllocationColumn, AllocationTableModel
from app.views.jobs import JobRunner
from app.views.map_dialog import MapDialog
from app.views.suggestion_table_model import SuggestionColumn, SuggestionTableModel
from app.views.transaction_table_model import Column
from app.views.transactions_page import TransactionsPage


@pytest.fixture
def small(tmp_path: Path) -> Iterator[SmallLedger]:
    built = build(tmp_path / "small")
    yield built
    built.ledger.close()


def open_dialog(qtbot, small: SmallLedger, runner: JobRunner, name: str) -> MapDialog:
    dialog = MapDialog(small.ledger, small.tx[name], runner=runner)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.show()
    return dialog


def search(qtbot, dialog: MapDialog, text: str) -> None:
    with qtbot.waitSignal(dialog.searched, timeout=10_000, check_params_cb=lambda searched, _count: searched == text):
        dialog.search_edit.setText(text)


def test_suggestions_with_reasons_fill_the_allocation(qtbot, small: SmallLedger, runner: JobRunner) -> None:
    dialog = open_dialog(qtbot, small, runner, "Weber Backwaren")
    assert "Weber Backwaren" in dialog.header_label.text() and "€800.00" in dialog.header_label.text()
    assert "Sammelzahlung" in dialog.header_label.text()
    assert dialog.suggestion_model.rowCount() == len(suggestions(small.ledger, small.tx["Weber Backwaren"])) >= 1
    first = dialog.suggestion_model.index(0, SuggestionColumn.SCORE)
    assert first.data().endswith("%")
    assert dialog.suggestion_model.index(0, SuggestionColumn.INVOICES).data() == "RE-2026-0050, RE-2026-0051"
    assert "Weber" in dialog.suggestion_model.index(0, SuggestionColumn.REASONS).data()
    dialog.suggestion_table.selectRow(0)
    assert dialog.reasons_label.text().startswith("• ")
    assert [line.invoice_number for line in dialog.allocation_model.draft.lines] == ["RE-2026-0050", "RE-2026-0051"]
    assert dialog.remaining_label.text() == "Allocated €800.00 of €800.00 — €0.00 left"
    score = dialog.suggestion_model.row_at(0).score
    with qtbot.waitSignal(dialog.changed, timeout=10_000):
        qtbot.mouseClick(dialog.allocate_button, Qt.MouseButton.LeftButton)
    assert small.state("Weber Backwaren") == "matched"
    with small.ledger.session() as session:
        booked = session.execute(
            select(Allocation.method, Allocation.confidence).where(
                Allocation.transaction_id == small.tx["Weber Backwaren"]
            )
        ).all()
    assert booked == [("suggested", score)] * 2  # the bookkeeper confirmed the engine's reading, recorded as such
    payment = payment_to_map(small.ledger, small.tx["Weber Backwaren"])
    assert dialog._state_text(payment).count("(suggestion accepted)") == 2


def test_a_suggestion_changed_before_booking_is_the_bookkeepers_own(
    qtbot, small: SmallLedger, runner: JobRunner
) -> None:
    dialog = open_dialog(qtbot, small, runner, "Weber Backwaren")
    dialog.choose_suggestion(0)
    assert dialog.allocation_model.draft.taken_suggestion() is not None
    dialog.allocation_model.setData(dialog.allocation_model.index(0, AllocationColumn.AMOUNT), "400.00")
    assert dialog.allocation_model.draft.taken_suggestion() is None
    with qtbot.waitSignal(dialog.changed, timeout=10_000):
        dialog.allocate()
    with small.ledger.session() as session:
        methods = session.scalars(
            select(Allocation.method).where(Allocation.transaction_id == small.tx["Weber Backwaren"])
        ).all()
    assert methods == ["manual", "manual"]


def test_split_over_two_searched_invoices(qtbot, small: SmallLedger, runner: JobRunner) -> None:
    dialog = open_dialog(qtbot, small, runner, "P. Neumann privat")  # 750.00, no clear suggestion
    search(qtbot, dialog, "Neumann")
    numbers = [dialog.search_model.row_at(row).number for row in range(dialog.search_model.rowCount())]
    assert sorted(numbers) == ["RE-2026-0060", "RE-2026-0061"]
    dialog.add_invoice(numbers.index("RE-2026-0061"))  # 420.00 open: all of it
    dialog.add_invoice(numbers.index("RE-2026-0060"))  # 750.00 open, only 330.00 left of the payment
    dialog.add_invoice(numbers.index("RE-2026-0060"))  # listed once only
    lines = dialog.allocation_model.draft.lines
    assert [(line.invoice_number, line.amount) for line in lines] == [
        ("RE-2026-0061", Decimal("420.00")),
        ("RE-2026-0060", Decimal("330.00")),
    ]
    assert dialog.remaining_label.text().endswith("€0.00 left")
    amount = dialog.allocation_model.index(1, AllocationColumn.AMOUNT)
    assert dialog.allocation_model.setData(amount, "300.00")
    assert dialog.remaining_label.text() == "Allocated €720.00 of €750.00 — €30.00 left"
    assert not dialog.allocation_model.setData(amount, "three hundred")
    assert dialog.error_label.isVisible()
    with qtbot.waitSignal(dialog.changed, timeout=10_000):
        qtbot.mouseClick(dialog.allocate_button, Qt.MouseButton.LeftButton)
    assert small.state("P. Neumann privat") == "partial"
    payment = payment_to_map(small.ledger, small.tx["P. Neumann privat"])
    assert [(p.invoice_number, p.amount) for p in payment.parts] == [
        ("RE-2026-0061", Decimal("420.00")),
        ("RE-2026-0060", Decimal("300.00")),
    ]
    rows = {row.number: row for row in invoice_rows(small.ledger)}
    assert rows["RE-2026-0061"].status == "paid" and rows["RE-2026-0060"].open_amount == Decimal("450.00")


def test_over_allocation_is_refused_inline(qtbot, small: SmallLedger, runner: JobRunner, shown_messages) -> None:
    dialog = open_dialog(qtbot, small, runner, "P. Neumann privat")
    search(qtbot, dialog, "RE-2026-006")
    for row in range(dialog.search_model.rowCount()):
        dialog.add_invoice(row)
    numbers = [line.invoice_number for line in dialog.allocation_model.draft.lines]
    row = numbers.index("RE-2026-0060")
    dialog.allocation_model.setData(dialog.allocation_model.index(row, AllocationColumn.AMOUNT), "750")
    assert "-€" in dialog.remaining_label.text()
    with qtbot.waitSignal(dialog.failed, timeout=10_000) as refused:
        qtbot.mouseClick(dialog.allocate_button, Qt.MouseButton.LeftButton)
    assert refused.args[0] == "The allocations add up to €1,170.00, but only €750.00 of the payment is left."
    assert dialog.error_label.isVisible() and dialog.error_label.text() == refused.args[0]
    assert shown_messages == [] and dialog.isVisible()
    assert small.state("P. Neumann privat") == "open"


def test_no_invoice_ignores_and_undo_restores(qtbot, small: SmallLedger, runner: JobRunner, monkeypatch) -> None:
    monkeypatch.setattr(map_dialog_module, "ask_ignore_reason", lambda parent: "VAT refund")
    dialog = open_dialog(qtbot, small, runner, "Finanzamt Berlin")
    assert dialog.ignore_button.isEnabled() and not dialog.undo_button.isEnabled()
    with qtbot.waitSignal(dialog.changed, timeout=10_000):
        qtbot.mouseClick(dialog.ignore_button, Qt.MouseButton.LeftButton)
    assert small.state("Finanzamt Berlin") == "ignored"

    again = open_dialog(qtbot, small, runner, "Finanzamt Berlin")
    assert "without invoice (VAT refund)" in again.state_label.text()
    assert again.undo_button.isEnabled() and not again.allocate_button.isEnabled()
    with qtbot.waitSignal(again.changed, timeout=10_000), qtbot.waitSignal(again.loaded, timeout=10_000):
        qtbot.mouseClick(again.undo_button, Qt.MouseButton.LeftButton)
    assert small.state("Finanzamt Berlin") == "open"


def test_every_open_payment_says_why_it_was_not_assigned(qtbot, small: SmallLedger, runner: JobRunner) -> None:
    neumann = open_dialog(qtbot, small, runner, "P. Neumann privat")  # new IBAN, a name like no customer's
    assert not neumann.why_label.isHidden()
    assert neumann.why_label.text() == "Not assigned automatically: the payer is not known for Neumann Logistik GmbH"
    tax = open_dialog(qtbot, small, runner, "Finanzamt Berlin")
    assert "no invoice number found" in tax.why_label.text()
    matched = open_dialog(qtbot, small, runner, "Mueller Metallbau GmbH")  # booked automatically: nothing to explain
    assert matched.why_label.isHidden()


def test_undo_takes_back_an_automatic_match(qtbot, small: SmallLedger, runner: JobRunner) -> None:
    dialog = open_dialog(qtbot, small, runner, "Mueller Metallbau GmbH")
    assert dialog.state_label.text() == "Allocated so far: RE-2026-0042: €1,190.00 (automatic)"
    assert dialog.undo_button.isEnabled() and not dialog.search_edit.isEnabled()
    with qtbot.waitSignal(dialog.changed, timeout=10_000), qtbot.waitSignal(dialog.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    assert small.state("Mueller Metallbau GmbH") == "open"
    assert dialog.search_edit.isEnabled() and not dialog.undo_button.isEnabled()
    assert "automatic assignment of this payment was undone" in dialog.why_label.text()
    assert {row.number: row.status for row in invoice_rows(small.ledger)}["RE-2026-0042"] != "paid"


def test_transactions_page_opens_the_map_dialog(qtbot, small: SmallLedger, runner: JobRunner) -> None:
    page = TransactionsPage(small.ledger, runner=runner)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == 6, timeout=10_000)
    assert not page.map_button.isEnabled()
    row = list(page.model.ids()).index(small.tx["Weber Backwaren"])
    page.table.selectRow(row)
    assert page.map_button.isEnabled()
    qtbot.mouseClick(page.map_button, Qt.MouseButton.LeftButton)
    dialog = page.map_dialog
    assert dialog is not None and dialog.transaction_id == small.tx["Weber Backwaren"]
    qtbot.waitUntil(lambda: dialog.payment is not None, timeout=10_000)
    dialog.choose_suggestion(0)
    with qtbot.waitSignal(page.ledger_changed, timeout=10_000):
        dialog.allocate()
    qtbot.waitUntil(lambda: page.model.row_at(row) is not None and page.model.row_at(row).reconciliation == "matched")
    page.table.selectRow(row)  # a matched payment can still be mapped (to undo)
    assert page.map_button.isEnabled()
    assert not dialog.isVisible()
    status = page.table.visualRect(page.model.index(row, Column.STATUS)).center()
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=status)  # QTest's double click
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=status)  # needs a press before
    assert page.map_dialog is not dialog and page.map_dialog.isVisible()


def test_models(qtmodeltester, small: SmallLedger) -> None:
    model = SuggestionTableModel()
    model.set_rows(suggestions(small.ledger, small.tx["Weber Backwaren"]))
    qtmodeltester.check(model)
    allocation = AllocationTableModel(AllocationDraft(Decimal("800.00")))
    allocation.add(invoice_id=3, invoice_number="RE-1", customer_name="Weber", open_amount=Decimal("500.00"))
    allocation.add(invoice_id=4, invoice_number="RE-2", customer_name="Weber", open_amount=Decimal("500.00"))
    assert [line.amount for line in allocation.draft.lines] == [Decimal("500.00"), Decimal("300.00")]
    qtmodeltester.check(allocation)
    allocation.remove(0)
    assert allocation.draft.remaining() == Decimal("500.00")


def test_a_payment_naming_a_paid_invoice_says_so_and_becomes_the_customers_credit(
    qtbot, small: SmallLedger, runner: JobRunner, tmp_path: Path
) -> None:
    twice = Booking(date(2026, 3, 16), Decimal("1190.00"), "Müller Metallbau GmbH", "DE02120300000000202051",
                    "RE-2026-0042 nochmal")  # fmt: skip
    (tmp_path / "twice.sta").write_text(mt940(OWN, [twice], opening=Decimal("0")), encoding="utf-8")
    import_statement_files(small.ledger, [tmp_path / "twice.sta"], actor="test")
    with small.ledger.session() as session:
        again = int(session.scalar(select(func.max(Transaction.id))))
    dialog = MapDialog(small.ledger, again, runner=runner)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.show()
    assert dialog.paid_box.isVisible()
    assert "RE-2026-0042 of Müller Metallbau GmbH is already paid" in dialog.paid_label.text()
    assert (
        dialog.credit_button.text() == "Hold as credit for Müller Metallbau GmbH" and dialog.refund_button.isVisible()
    )
    qtbot.wait(50)  # the layout after the texts were set
    dialog.grab().save(str(tmp_path / "map-paid.png"))
    with qtbot.waitSignal(dialog.changed, timeout=10_000):
        dialog.credit_button.click()
    shown = payment_to_map(small.ledger, again)
    assert (shown.credit, shown.reconciliation) == (Decimal("1190.00"), "matched")


def test_transactions_page_marks_several_bookings_without_invoice(qtbot, small: SmallLedger, runner: JobRunner,
                                                                   tmp_path: Path) -> None:  # fmt: skip
    page = TransactionsPage(small.ledger, runner=runner)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == 6, timeout=10_000)
    ids = list(page.model.ids())
    for name in ("Finanzamt Berlin", "P. Neumann privat"):  # both still open after the import
        page.table.selectionModel().select(
            page.model.index(ids.index(small.tx[name]), 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    assert page.no_invoice_button.isEnabled() and not page.map_button.isEnabled()
    page.no_invoice_button.click()
    dialog = page.no_invoice_dialog
    assert not dialog.rule_check.isEnabled()  # two accounts: no rule
    dialog.category_combo.setCurrentIndex(dialog.category_combo.findData("tax"))
    dialog.grab().save(str(tmp_path / "no-invoice.png"))
    with qtbot.waitSignal(page.ledger_changed, timeout=10_000):
        dialog.accept()
    for name in ("Finanzamt Berlin", "P. Neumann privat"):
        shown = payment_to_map(small.ledger, small.tx[name])
        assert (shown.reconciliation, shown.note) == ("ignored", "Tax")


def test_keyboard_ctrl_f_searches_and_ctrl_m_maps(qtbot, small: SmallLedger, runner: JobRunner) -> None:
    page = TransactionsPage(small.ledger, runner=runner)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == 6, timeout=10_000)
    page.activateWindow()
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.search_edit.hasFocus()
    page.table.setFocus()
    page.table.selectRow(list(page.model.ids()).index(small.tx["Weber Backwaren"]))
    qtbot.keyClick(page.table, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert page.map_dialog is not None and page.map_dialog.transaction_id == small.tx["Weber Backwaren"]


def test_the_search_starts_with_the_payers_own_invoices(qtbot, small: SmallLedger, runner: JobRunner,
                                                        tmp_path: Path) -> None:  # fmt: skip
    known = Booking(date(2026, 3, 16), Decimal("77.00"), "Müller Metallbau GmbH", "DE02120300000000202051", "Zahlung")
    (tmp_path / "known.sta").write_text(mt940(OWN, [known], opening=Decimal("0")), encoding="utf-8")
    import_statement_files(small.ledger, [tmp_path / "known.sta"], actor="test")
    with small.ledger.session() as session:
        paid = int(session.scalar(select(func.max(Transaction.id))))
    dialog = MapDialog(small.ledger, paid, runner=runner)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.searched, timeout=10_000):
        dialog.show()
    assert dialog.search_edit.text() == "Müller Metallbau GmbH" and dialog.show_all_button.isVisible()
    assert {row.customer_name for row in dialog.search_model.rows()} <= {"Müller Metallbau GmbH"}
    with qtbot.waitSignal(dialog.searched, timeout=10_000):
        dialog.show_all_button.click()
    assert dialog.search_edit.text() == "" and len({row.customer_name for row in dialog.search_model.rows()}) > 1


def test_delete_removes_the_selected_allocation_line(qtbot, small: SmallLedger, runner: JobRunner) -> None:
    dialog = open_dialog(qtbot, small, runner, "Weber Backwaren")
    dialog.choose_suggestion(0)
    assert len(dialog.allocation_model.draft.lines) == 2
    dialog.activateWindow()
    dialog.allocation_table.setFocus()
    dialog.allocation_table.selectRow(0)
    qtbot.waitUntil(dialog.allocation_table.hasFocus)
    qtbot.keyClick(dialog.allocation_table, Qt.Key.Key_Delete)
    assert [line.invoice_number for line in dialog.allocation_model.draft.lines] == ["RE-2026-0051"]
