"""The Payments page at the user's level: a transfer through the form, submit, four-eyes approval, export, debits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from payments_ledger import KUNDE, PASSWORDS, WEBER, context_for, identity_for, make_ledger, submitted_run
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox
from test_payments_support import add_users, signed_in

from app.demobank import DEMO_PIN, DemoBank, DemoBankServer, Policy
from app.services.demo.setup import connect_demo_bank
from app.services.ledger.database import Ledger
from app.services.payments.approvals import approval_summary, approve_run
from app.services.payments.business_days import next_business_day
from app.services.payments.mandates import add_mandate, list_mandates
from app.services.payments.orders import create_transfer
from app.services.payments.pain import validate_pain
from app.services.payments.runs import list_runs, run_orders, run_row, submit_run
from app.views.approval_dialog import ApprovalDialog
from app.views.debit_dialog import DebitDialog
from app.views.invoices_page import InvoicesPage
from app.views.jobs import JobRunner
from app.views.mandate_table_model import MandateTableModel
from app.views.mandates_dialog import MandatesDialog
from app.views.move_orders_dialog import MoveOrdersDialog
from app.views.order_edit_dialog import OrderEditDialog
from app.views.payee_check_dialog import PayeeCheckDialog
from app.views.payment_order_table_model import OrderColumn, PaymentOrderTableModel
from app.views.payment_run_table_model import STATUS_COLORS, PaymentRunTableModel, RunColumn
from app.views.payments_page import PaymentsPage
from app.views.tan_dialog import BankPromptDialogs, TanDialog
from app.views.transfer_dialog import TransferDialog


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = make_ledger(tmp_path / "firma.kontor")
    yield opened
    opened.close()


def loaded_page(qtbot, ledger: Ledger, runner: JobRunner) -> PaymentsPage:
    page = PaymentsPage(context_for(ledger, runner))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        pass
    page.resize(1100, 700)
    page.show()
    return page


def click(qtbot, page: PaymentsPage, action: QAction) -> None:
    """As the user does it: a click on the action's tool bar button."""
    button = page.toolbar.widgetForAction(action) or page.run_toolbar.widgetForAction(action)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def reloaded(qtbot, page: PaymentsPage) -> None:
    """After a change the page reloads the runs and then the selected run's orders."""
    with qtbot.waitSignals([page.loaded, page.orders_loaded], timeout=10_000):
        pass


def test_empty_ledger_shows_the_empty_state(qtbot, ledger: Ledger, runner: JobRunner) -> None:
    page = loaded_page(qtbot, ledger, runner)
    assert page.stack.currentWidget() is page.empty_label
    assert "No payment runs yet" in page.empty_label.text()
    assert not page.submit_action.isEnabled() and not page.export_action.isEnabled()
    assert not page.send_action.isEnabled() and "PIN and TAN" in page.send_action.toolTip()


def test_transfer_submit_approve_export(qtbot, ledger: Ledger, runner: JobRunner, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    page = loaded_page(qtbot, ledger, runner)
    click(qtbot, page, page.transfer_action)
    dialog = page.dialog
    assert isinstance(dialog, TransferDialog) and dialog.isVisible()
    dialog.name_edit.setText("Bäckerei Weber e.K.")
    dialog.iban_edit.setText("DE02 1203 0000 0000 2020 51")
    assert "Deutsche Kreditbank Berlin" in dialog.bank_label.text()
    dialog.amount_edit.setText("1,190.00")
    dialog.text_edit.setPlainText("ER-2026-001 Lieferung")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.warning_label.isVisible, timeout=10_000)
    assert "first payment ever" in dialog.warning_label.text()
    with qtbot.waitSignal(dialog.created, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # "Add anyway"
    reloaded(qtbot, page)

    assert page.stack.currentWidget() is page.splitter
    assert page.run_model.rowCount() == 1
    status = page.run_model.index(0, RunColumn.STATUS)
    assert status.data() == "draft" and status.data(Qt.ItemDataRole.ForegroundRole) == STATUS_COLORS["draft"]
    assert page.run_model.index(0, RunColumn.TOTAL).data() == "€1,190.00"
    assert page.order_model.index(0, OrderColumn.IBAN).data() == "DE02 1203 0000 0000 2020 51"
    warnings = page.order_model.index(0, OrderColumn.WARNINGS)
    assert warnings.data() == "First-time recipient"
    assert "first payment ever" in warnings.data(Qt.ItemDataRole.ToolTipRole)
    assert page.submit_action.isEnabled() and not page.approve_action.isEnabled()

    click(qtbot, page, page.submit_action)
    reloaded(qtbot, page)
    assert page.run_model.index(0, RunColumn.STATUS).data() == "submitted"
    assert page.approve_action.isEnabled() and not page.export_action.isEnabled()

    click(qtbot, page, page.approve_action)
    approval = page.dialog
    assert isinstance(approval, ApprovalDialog)
    qtbot.waitUntil(lambda: approval.summary is not None, timeout=10_000)
    assert "First-time recipient" in approval.warnings_label.text()
    approval.user_edit.setText("anna")
    approval.password_edit.setText(PASSWORDS["anna"])
    qtbot.mouseClick(approval.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: approval.errors.text("user") != "", timeout=10_000)
    approval.user_edit.setText("bob")
    approval.password_edit.setText(PASSWORDS["bob"])
    with qtbot.waitSignal(approval.approved, timeout=10_000):
        qtbot.mouseClick(approval.approve_button, Qt.MouseButton.LeftButton)
    reloaded(qtbot, page)
    approval.accept()
    assert page.run_model.index(0, RunColumn.STATUS).data() == "approved"
    assert page.export_action.isEnabled() and not page.approve_action.isEnabled()

    target = tmp_path / "export" / "lauf.xml"
    target.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    click(qtbot, page, page.export_action)
    reloaded(qtbot, page)
    xml = target.read_bytes()
    validate_pain(xml, "pain.001.001.09")
    assert b"DE02120300000000202051" in xml
    assert page.run_model.index(0, RunColumn.STATUS).data() == "sent"
    assert str(target) in page.notice_label.text()


def test_mandate_then_direct_debit(qtbot, ledger: Ledger, runner: JobRunner) -> None:
    page = loaded_page(qtbot, ledger, runner)
    click(qtbot, page, page.mandates_action)
    mandates = page.dialog
    assert isinstance(mandates, MandatesDialog)
    qtbot.waitSignal(mandates.loaded, timeout=10_000).wait()
    mandates.customer_edit.setText("K-200")
    mandates.reference_edit.setText("MANDAT 1")
    mandates.iban_edit.setText(KUNDE)
    qtbot.mouseClick(mandates.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: mandates.errors.text("reference") != "", timeout=10_000)
    mandates.reference_edit.setText("MANDAT-1")
    with qtbot.waitSignal(mandates.loaded, timeout=10_000):
        qtbot.mouseClick(mandates.add_button, Qt.MouseButton.LeftButton)
    assert mandates.model.rowCount() == 1
    mandates.accept()

    click(qtbot, page, page.debit_action)
    debit = page.dialog
    assert isinstance(debit, DebitDialog)
    qtbot.waitSignal(debit.loaded, timeout=10_000).wait()
    assert debit.customer_combo.count() == 1 and "MANDAT-1" in debit.mandate_label.text()
    debit.invoice_edit.setText("RE-2026-0042")
    with qtbot.waitSignal(debit.created, timeout=10_000) as created:
        qtbot.mouseClick(debit.ok_button, Qt.MouseButton.LeftButton)
    reloaded(qtbot, page)
    [order] = run_orders(ledger, created.args[0].run_id)
    assert (order.invoice_number, order.mandate_reference, str(order.amount)) == ("RE-2026-0042", "MANDAT-1", "500.00")
    assert page.run_model.index(0, RunColumn.KIND).data() == "Direct debit (CORE)"
    page.run_table.clearSelection()
    with qtbot.waitSignal(page.orders_loaded, timeout=10_000):
        page.run_table.selectRow(0)
    mandate = page.order_model.index(0, OrderColumn.MANDATE)
    assert (mandate.data(), mandate.data(Qt.ItemDataRole.ToolTipRole)) == ("MANDAT-1 · FRST", "first collection")
    assert not page.order_table.isColumnHidden(OrderColumn.MANDATE)
    assert page.order_table.isColumnHidden(OrderColumn.PAYEE_CHECK)  # the payer's bank checks no payee

    click(qtbot, page, page.receivables_action)
    reloaded(qtbot, page)
    assert page.notice_label.text().startswith("1 direct debit added.")
    assert sum(run.count for run in list_runs(ledger)) == 2


def test_models(qtmodeltester, ledger: Ledger) -> None:
    run_id = submitted_run(ledger)
    add_mandate(ledger, customer_number="K-200", reference="M-1", signed_on=date(2026, 1, 5),
                iban=KUNDE, actor="anna")  # fmt: skip
    runs = PaymentRunTableModel()
    runs.set_rows(list_runs(ledger))
    qtmodeltester.check(runs)
    orders = PaymentOrderTableModel()
    summary = approval_summary(ledger, run_id)
    orders.set_rows(summary.orders, summary.warnings)
    qtmodeltester.check(orders)
    mandates = MandateTableModel()
    mandates.set_rows(list_mandates(ledger))
    qtmodeltester.check(mandates)
    assert orders.index(0, OrderColumn.WARNINGS).data() == "First-time recipient"


def test_send_to_bank_asks_pin_and_tan(qtbot, tmp_path: Path, runner: JobRunner) -> None:
    server = DemoBankServer(DemoBank(seed=5)).start()
    ledger = new_ledger(tmp_path / "bank.kontor", "pw", company_name="Firma GmbH")
    try:
        connect_demo_bank(ledger, server, actor="test")
        with ledger.writer() as session:
            add_users(session, {"anna": "bookkeeper", "bob": "approver"})
        account = next(iter(server.bank.accounts))
        order = create_transfer(ledger, name="Weber", iban=WEBER, amount="10", text="Test", account_iban=account,
                                actor="anna")  # fmt: skip
        submit_run(ledger, order.run_id, actor="anna")
        assert approve_run(ledger, order.run_id, approver=signed_in(ledger, "bob")).approved
        dialogs = BankPromptDialogs.attach(runner.prompts, demo_bank=server.bank)
        page = loaded_page(qtbot, ledger, runner)
        qtbot.waitSignal(page.orders_loaded, timeout=10_000, raising=False).wait()
        assert page.send_action.isEnabled()
        click(qtbot, page, page.send_action)
        qtbot.waitUntil(lambda: isinstance(dialogs.dialog, QInputDialog), timeout=20_000)
        dialogs.dialog.setTextValue(DEMO_PIN)  # type: ignore[union-attr]
        dialogs.dialog.accept()  # type: ignore[union-attr]
        qtbot.waitUntil(
            lambda: isinstance(dialogs.dialog, TanDialog) or run_row(ledger, order.run_id).status != "approved",
            timeout=30_000,
        )
        if isinstance(dialogs.dialog, TanDialog):
            assert dialogs.dialog.signs_label.text() == f"You authorise: Transfer, 1 order, €10.00 (run {order.run_id})"
            dialogs.dialog.demo_fill_button.click()
            dialogs.dialog.accept()
        qtbot.waitUntil(lambda: page.notice_label.text().startswith(f"Run {order.run_id} is at the bank"),
                        timeout=30_000)  # fmt: skip
        assert run_row(ledger, order.run_id).status == "sent"
    finally:
        runner.cancel_and_wait(10_000)
        ledger.close()
        server.stop()


@contextmanager
def close_match_sent(qtbot, tmp_path: Path, runner: JobRunner) -> Iterator[tuple[Ledger, DemoBankServer, int, object]]:
    """An approved transfer to "Baeckerei Weber", whom the demo bank knows as "Bäckerei Weber GmbH", sent from the
    Payments page up to the payee check dialog; yields the ledger, the bank, the run and the prompt dialogs."""
    policy = Policy(vop=True, vop_register=((WEBER, "Bäckerei Weber GmbH"),))
    server = DemoBankServer(DemoBank(seed=5, policy=policy)).start()
    ledger = new_ledger(tmp_path / "bank.kontor", "pw", company_name="Firma GmbH")
    try:
        connect_demo_bank(ledger, server, actor="test")
        with ledger.writer() as session:
            add_users(session, {"anna": "bookkeeper", "bob": "approver"})
        account = next(iter(server.bank.accounts))
        order = create_transfer(ledger, name="Baeckerei Weber", iban=WEBER, amount="10", text="Test",
                                account_iban=account, actor="anna")  # fmt: skip
        submit_run(ledger, order.run_id, actor="anna")
        assert approve_run(ledger, order.run_id, approver=signed_in(ledger, "bob")).approved
        dialogs = BankPromptDialogs.attach(runner.prompts, demo_bank=server.bank)
        page = loaded_page(qtbot, ledger, runner)
        qtbot.waitSignal(page.orders_loaded, timeout=10_000, raising=False).wait()
        click(qtbot, page, page.send_action)
        qtbot.waitUntil(lambda: isinstance(dialogs.dialog, QInputDialog), timeout=20_000)
        dialogs.dialog.setTextValue(DEMO_PIN)  # type: ignore[union-attr]
        dialogs.dialog.accept()  # type: ignore[union-attr]
        qtbot.waitUntil(lambda: isinstance(dialogs.dialog, PayeeCheckDialog), timeout=30_000)
        yield ledger, server, order.run_id, dialogs
    finally:
        runner.cancel_and_wait(10_000)
        ledger.close()
        server.stop()


def test_send_asks_the_approver_about_the_banks_payee_check(qtbot, tmp_path: Path, runner: JobRunner) -> None:
    """The bank knows the account holder as "Bäckerei Weber GmbH": a close match, put to the approver first."""
    with close_match_sent(qtbot, tmp_path, runner) as (ledger, server, run_id, dialogs):
        check = dialogs.dialog
        assert isinstance(check, PayeeCheckDialog)
        assert "“Bäckerei Weber GmbH”" in check.summary.text() and "haften" in check.notice.text()
        assert run_row(ledger, run_id).status == "approved"  # nothing authorised while the approver reads
        check.send_button.click()
        qtbot.waitUntil(lambda: isinstance(dialogs.dialog, TanDialog), timeout=30_000)
        dialogs.dialog.demo_fill_button.click()
        dialogs.dialog.accept()
        qtbot.waitUntil(lambda: run_row(ledger, run_id).status == "sent", timeout=30_000)
        assert [(c.result, c.confirmed) for c in server.bank.payee_checks.values()] == [("RVMC", True)]


def test_invoices_page_pays_and_collects_selected_invoices(qtbot, ledger: Ledger, runner: JobRunner,
                                                            shown_messages) -> None:  # fmt: skip
    page = InvoicesPage(ledger, runner=runner, identity=identity_for(ledger, "anna"))
    qtbot.addWidget(page)
    qtbot.waitSignal(page.loaded, timeout=10_000).wait()

    def select(number: str) -> None:
        page.table.clearSelection()
        [row] = [row for row in range(page.model.rowCount()) if page.model.row_at(row).number == number]
        page.table.selectRow(row)

    select("ER-2026-001")
    assert page.pay_button.isEnabled() and not page.collect_button.isEnabled()
    with qtbot.waitSignal(page.ledger_changed, timeout=10_000):
        qtbot.mouseClick(page.pay_button, Qt.MouseButton.LeftButton)
    [run] = list_runs(ledger)
    [order] = run_orders(ledger, run.id)
    assert (order.invoice_number, str(order.amount)) == ("ER-2026-001", "1190.00")
    assert "first payment ever" in shown_messages[-1].informative

    select("RE-2026-0042")
    assert page.collect_button.isEnabled() and not page.pay_button.isEnabled()
    with qtbot.waitSignal(page.reported, timeout=10_000) as reported:
        qtbot.mouseClick(page.collect_button, Qt.MouseButton.LeftButton)
    assert reported.args[0] == "0 invoices added to payment runs; see Payments."
    assert shown_messages[-1].informative.startswith("RE-2026-0042: ")
    add_mandate(ledger, customer_number="K-200", reference="M-1", signed_on=date(2026, 1, 5), iban=KUNDE, actor="anna")
    with qtbot.waitSignal(page.ledger_changed, timeout=10_000):
        qtbot.mouseClick(page.collect_button, Qt.MouseButton.LeftButton)
    assert [run.kind for run in list_runs(ledger)].count("debit") == 1


def test_changing_an_order_of_an_approved_run_voids_the_approval(qtbot, ledger: Ledger, runner: JobRunner,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    run_id = submitted_run(ledger)
    approve_run(ledger, run_id, approver=signed_in(ledger, "bob"))
    page = loaded_page(qtbot, ledger, runner)
    page.run_table.selectRow(0)
    qtbot.waitSignal(page.orders_loaded, timeout=10_000).wait()
    assert not page.edit_order_action.isEnabled()  # nothing chosen yet
    page.order_table.selectRow(0)
    assert page.edit_order_action.isEnabled() and page.remove_order_action.isEnabled()

    click(qtbot, page, page.edit_order_action)
    dialog = page.dialog
    assert isinstance(dialog, OrderEditDialog) and dialog.note_label.isVisible()
    dialog.amount_edit.setText("1,250.00")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        dialog.accept()
    assert run_row(ledger, run_id).status == "submitted"
    assert [order.amount for order in run_orders(ledger, run_id)][0] == Decimal("1250.00")

    page.run_table.selectRow(0)
    qtbot.waitSignal(page.orders_loaded, timeout=10_000).wait()
    page.order_table.selectRow(1)
    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.Yes)
    page.activateWindow()
    page.order_table.setFocus()
    qtbot.waitUntil(page.order_table.hasFocus)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.keyClick(page.order_table, Qt.Key.Key_Delete)  # as the tool bar's Remove order…
    assert [order.name for order in run_orders(ledger, run_id)] == ["Bäckerei Weber e.K."]  # umlauts kept
    assert "removed" in page.notice_label.text()


def test_a_stopped_close_match_is_shown_to_the_approver_who_takes_the_banks_name(
    qtbot, tmp_path: Path, runner: JobRunner
) -> None:
    with close_match_sent(qtbot, tmp_path, runner) as (ledger, _server, run_id, dialogs):
        dialogs.dialog.stop_button.click()
        qtbot.waitUntil(lambda: bool(run_orders(ledger, run_id)[0].payee_check), timeout=30_000)

        approval = ApprovalDialog(ledger, run_id, runner=runner, identity=identity_for(ledger, "bob"))
        qtbot.addWidget(approval)
        qtbot.waitUntil(lambda: approval.summary is not None, timeout=10_000)
        approval.show()
        cell = approval.model.index(0, OrderColumn.PAYEE_CHECK)
        assert cell.data() == "Close match: Bäckerei Weber GmbH"
        assert "stopped it" in cell.data(Qt.ItemDataRole.ToolTipRole)
        assert not approval.bank_name_button.isEnabled()
        approval.table.selectRow(0)
        assert approval.bank_name_button.isEnabled()
        approval.bank_name_button.click()
        qtbot.waitUntil(lambda: "needs a new approval" in approval.result_label.text(), timeout=10_000)
        assert run_row(ledger, run_id).status == "submitted"
        assert run_orders(ledger, run_id)[0].name.startswith("B")


def test_orders_are_split_off_to_another_date_and_moved_back(qtbot, ledger: Ledger, runner: JobRunner,
                                                             tmp_path: Path) -> None:  # fmt: skip
    run_id = submitted_run(ledger)
    approve_run(ledger, run_id, approver=signed_in(ledger, "bob"))
    later = next_business_day(run_row(ledger, run_id).execution_on + timedelta(days=7))
    page = loaded_page(qtbot, ledger, runner)
    page.run_table.selectRow(0)
    qtbot.waitSignal(page.orders_loaded, timeout=10_000).wait()
    assert not page.move_orders_action.isEnabled()
    page.order_table.selectRow(1)
    click(qtbot, page, page.move_orders_action)
    dialog = page.dialog
    assert isinstance(dialog, MoveOrdersDialog) and dialog.target_combo.count() == 1  # no other open run yet
    dialog.date_edit.setDate(QDate(later.year, later.month, later.day))
    dialog.grab().save(str(tmp_path / "move.png"))
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        dialog.accept()
    assert "1 order moved to run 2." in page.notice_label.text()
    assert [o.name for o in run_orders(ledger, run_id)] == ["Bäckerei Weber e.K."]
    assert (run_row(ledger, run_id).status, run_row(ledger, 2).execution_on) == ("submitted", later)

    row = next(i for i in range(page.run_model.rowCount()) if page.run_model.row_at(i).id == 2)
    page.run_table.selectRow(row)
    qtbot.waitSignal(page.orders_loaded, timeout=10_000).wait()
    page.order_table.selectRow(0)
    click(qtbot, page, page.move_orders_action)
    dialog = page.dialog
    assert isinstance(dialog, MoveOrdersDialog)
    dialog.target_combo.setCurrentIndex(dialog.target_combo.findData(run_id))
    assert not dialog.date_edit.isEnabled()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        dialog.accept()
    assert len(run_orders(ledger, run_id)) == 2
