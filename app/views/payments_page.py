"""Payment runs and their orders: prepare transfers and debits, submit, approve, export or send them.

Every service call blocks, so each one runs as a job; the page only reacts to the results."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QItemSelection, QSettings, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.services.banking.fints_client import Cancelled
from app.services.banking.send import send_run
from app.services.formatting import format_amount
from app.services.i18n import N_, _, ngettext
from app.services.ledger.database import Ledger
from app.services.payments.approvals import ApprovalSummary, approval_summary
from app.services.payments.orders import (
    OrderResult,
    debits_from_open_receivables,
    move_orders,
    remove_order,
    update_order,
)
from app.services.payments.runs import (
    OPEN_STATUSES,
    ExportResult,
    OrderRow,
    RunRow,
    SendResult,
    export_run,
    list_runs,
    submit_run,
)
from app.services.payments.sepa_checks import PaymentError
from app.services.statements.balances import accounts_overview
from app.views.approval_dialog import ApprovalDialog
from app.views.debit_dialog import DebitDialog
from app.views.empty_page import empty_state_label
from app.views.jobs import Job, JobRunner
from app.views.mandates_dialog import MandatesDialog
from app.views.move_orders_dialog import MoveOrdersDialog
from app.views.order_edit_dialog import OrderEditDialog
from app.views.pages import PageContext
from app.views.payment_order_table_model import WARNING_KINDS, OrderColumn, PaymentOrderTableModel
from app.views.payment_run_table_model import PaymentRunTableModel, RunColumn, RunIdRole, RunStatusRole
from app.views.tables import new_table
from app.views.tan_dialog import BankPromptDialogs, bank_error_text
from app.views.transfer_dialog import TransferDialog

EMPTY_TEXT = N_(
    "No payment runs yet. Create a transfer with New transfer…, or collect open receivables by direct debit; "
    "runs are approved by a second person before they go to the bank."
)
RUN_WIDTHS = {
    RunColumn.ID: 50,
    RunColumn.KIND: 130,
    RunColumn.ACCOUNT: 260,
    RunColumn.EXECUTION: 100,
    RunColumn.COUNT: 70,
    RunColumn.TOTAL: 120,
}
ORDER_WIDTHS = {  # fits 1,050 pixels beside the sidebar; the payee check (last) takes the rest
    OrderColumn.RECIPIENT: 200,
    OrderColumn.IBAN: 225,
    OrderColumn.AMOUNT: 100,
    OrderColumn.TEXT: 210,
    OrderColumn.WARNINGS: 170,
}
# Which actions a run's status offers; the services refuse anything else anyway, this only greys out buttons.
CHANGEABLE = frozenset(OPEN_STATUSES)  # what runs.before_change accepts
ACTIONS_BY_STATUS = {
    "draft": {"submit", "reject"},
    "submitted": {"approve", "reject"},
    "approved": {"reject", "export", "send"},
}
_Loaded = tuple[list[RunRow], dict[str, str]]  # runs, own EUR accounts' names by IBAN


class PaymentsPage(QWidget):
    """The Payments page; the main window calls `refresh()` after anything changed the ledger."""

    loaded = Signal(int)  # runs shown
    orders_loaded = Signal(int)  # run id whose orders are shown
    ledger_changed = Signal()  # a new order, a status change: other pages (invoices) should reload
    reported = Signal(str)  # a one-line result for the status bar

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ledger: Ledger = context.unlocked.ledger
        self._runner: JobRunner = context.runner
        self._identity = context.identity
        self._generation = 0
        self._order_generation = 0
        self.account_ibans: list[str] = []
        self.account_names: dict[str, str] = {}
        self.dialog: (
            TransferDialog | DebitDialog | MandatesDialog | ApprovalDialog | OrderEditDialog | MoveOrdersDialog | None
        ) = None
        self.send_job: Job | None = None
        self.prompt_dialogs = BankPromptDialogs.attach(self._runner.prompts)  # PIN and TAN while sending
        self.prompt_dialogs.cancelled.connect(self._on_prompt_dialogs_cancelled)
        self.run_model = PaymentRunTableModel(self)
        self.order_model = PaymentOrderTableModel(self)
        self._build()
        self.refresh()

    def _build(self) -> None:
        # Tool bars fold what does not fit behind their extension arrow, so the page suits narrow windows.
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.run_toolbar = QToolBar()
        self.run_toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.transfer_action = self.toolbar.addAction(_("New transfer…"), self._on_transfer_action_triggered)
        self.debit_action = self.toolbar.addAction(_("New direct debit…"), self._on_debit_action_triggered)
        self.receivables_action = self.toolbar.addAction(
            _("Debits from open receivables…"), self._on_receivables_action_triggered
        )
        self.receivables_action.setToolTip(
            _("A direct debit for every open receivable of a customer with a valid mandate.")
        )
        self.mandates_action = self.toolbar.addAction(_("Mandates…"), self._on_mandates_action_triggered)
        self.submit_action = self.run_toolbar.addAction(_("Submit for approval"), self._on_submit_action_triggered)
        self.approve_action = self.run_toolbar.addAction(_("Approve…"), self._on_approve_action_triggered)
        self.reject_action = self.run_toolbar.addAction(_("Reject…"), self._on_reject_action_triggered)
        self.export_action = self.run_toolbar.addAction(_("Export file…"), self._on_export_action_triggered)
        self.export_action.setToolTip(_("Save the approved run as a SEPA XML file to upload in your online banking."))
        self.send_action = self.run_toolbar.addAction(_("Send to bank…"), self._on_send_action_triggered)
        self.send_action.setToolTip(_("Send the approved run through its account's bank connection, with PIN and TAN."))
        self.run_toolbar.addSeparator()
        self.edit_order_action = self.run_toolbar.addAction(_("Change order…"), self._on_edit_order_action_triggered)
        self.remove_order_action = self.run_toolbar.addAction(
            _("Remove order…"), self._on_remove_order_action_triggered
        )
        self.remove_order_action.setToolTip(
            _("Take the selected order out of its run; an approval of the run is void.") + " (" + _("Del") + ")"
        )
        self.move_orders_action = self.run_toolbar.addAction(_("Move orders…"), self._on_move_orders_action_triggered)
        self.move_orders_action.setToolTip(
            _("Move the selected orders into another run, or split them off to another date.")
        )

        self.run_table = new_table(self.run_model, widths=RUN_WIDTHS)
        self.run_table.selectionModel().selectionChanged.connect(self._on_run_table_selection_changed)
        self.run_table.doubleClicked.connect(self._on_approve_action_triggered)
        self.order_table = new_table(self.order_model, widths=ORDER_WIDTHS, extended=True)
        self.order_table.selectionModel().selectionChanged.connect(self._update_actions)
        self.order_table.doubleClicked.connect(self._on_edit_order_action_triggered)
        self.remove_order_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.remove_order_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.order_table.addAction(self.remove_order_action)  # Delete on a selected order
        self.order_label = QLabel(_("Select a run to see its orders."))
        self.order_label.setObjectName("hintLabel")
        self.order_label.setWordWrap(True)
        self.warning_label = QLabel()
        self.warning_label.setObjectName("warningBox")
        self.warning_label.setWordWrap(True)
        self.warning_label.hide()
        orders = QWidget()
        orders_layout = QVBoxLayout(orders)
        orders_layout.setContentsMargins(0, 0, 0, 0)
        orders_layout.addWidget(self.order_label)
        orders_layout.addWidget(self.warning_label)
        orders_layout.addWidget(self.order_table, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.run_table)
        self.splitter.addWidget(orders)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)

        self.empty_label = empty_state_label(_(EMPTY_TEXT))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.splitter)
        self.stack.addWidget(self.empty_label)
        self.notice_label = QLabel()
        self.notice_label.setWordWrap(True)
        self.notice_label.setObjectName("hintLabel")

        layout = QVBoxLayout(self)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.run_toolbar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.notice_label)
        self._update_actions()

    # -- loading ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the runs (and the own accounts to pay from) in a worker."""
        self._generation += 1
        generation, ledger = self._generation, self._ledger

        def load(cancel: threading.Event, progress: Callable[[int, int], None]) -> _Loaded:
            with ledger.session() as session:
                names = {a.iban: a.name for a in accounts_overview(session) if a.currency == "EUR"}
            return list_runs(ledger), names

        self._runner.run(load, on_success=lambda result: self._on_loaded(generation, result), parent=self)

    def _on_loaded(self, generation: int, result: _Loaded) -> None:
        if generation != self._generation:
            return
        runs, self.account_names = result
        self.account_ibans = list(self.account_names)
        self.run_model.account_names = self.account_names
        selected = self.selected_run_id()
        self.run_model.set_rows(runs)
        self.stack.setCurrentWidget(self.splitter if runs else self.empty_label)
        row = self.run_model.row_of(selected) if selected is not None else -1
        if row < 0 and runs:
            row = 0
        if row >= 0:
            self.run_table.selectRow(row)
        else:
            self._on_run_table_selection_changed()
        self.loaded.emit(len(runs))

    def selected_run_id(self) -> int | None:
        rows = self.run_table.selectionModel().selectedRows()
        return rows[0].data(RunIdRole) if rows else None

    def _selected_status(self) -> str:
        rows = self.run_table.selectionModel().selectedRows()
        return str(rows[0].data(RunStatusRole)) if rows else ""

    def _update_actions(self) -> None:
        actions = ACTIONS_BY_STATUS.get(self._selected_status(), set())
        self.submit_action.setEnabled("submit" in actions)
        self.approve_action.setEnabled("approve" in actions)
        self.reject_action.setEnabled("reject" in actions)
        self.export_action.setEnabled("export" in actions)
        self.send_action.setEnabled("send" in actions and self.send_job is None)
        changeable = self._selected_status() in CHANGEABLE and self.selected_order() is not None
        self.edit_order_action.setEnabled(changeable)
        self.remove_order_action.setEnabled(changeable)
        self.move_orders_action.setEnabled(changeable)

    def selected_order(self) -> OrderRow | None:
        rows = self.order_table.selectionModel().selectedRows()
        return self.order_model.row_at(rows[0].row()) if rows else None

    def _on_run_table_selection_changed(
        self, selected: QItemSelection | None = None, deselected: QItemSelection | None = None
    ) -> None:
        self._update_actions()
        run_id = self.selected_run_id()
        self._order_generation += 1
        if run_id is None:
            self.order_model.set_rows([])
            self.order_label.setText(_("Select a run to see its orders."))
            self.warning_label.hide()
            return
        generation, ledger = self._order_generation, self._ledger

        def load(cancel: threading.Event, progress: Callable[[int, int], None]) -> ApprovalSummary:
            return approval_summary(ledger, run_id)

        self._runner.run(load, on_success=lambda summary: self._on_orders_loaded(generation, summary), parent=self)

    def _on_orders_loaded(self, generation: int, summary: ApprovalSummary) -> None:
        if generation != self._order_generation:
            return
        self.order_model.set_rows(summary.orders, summary.warnings)
        hidden = self.order_model.hidden_columns(summary.kind)
        for column in OrderColumn:
            self.order_table.setColumnHidden(column, column in hidden)
        self.order_label.setText(
            ngettext("Run {id}: {count} order", "Run {id}: {count} orders", summary.count).format(
                id=summary.run_id, count=summary.count
            )
        )
        general = [warning for warning in summary.warnings if warning.order_id is None]
        self.warning_label.setText("\n".join(f"⚠ {_(WARNING_KINDS.get(w.kind, w.kind))}: {w.message}" for w in general))
        self.warning_label.setVisible(bool(general))
        self.orders_loaded.emit(summary.run_id)

    def _changed(self, message: str) -> None:
        """After a write: say what happened, reload here and let the other pages reload too."""
        self.notice_label.setText(message)
        self.reported.emit(message)
        self.refresh()
        self.ledger_changed.emit()

    # -- creating orders --------------------------------------------------------------------------
    def _on_transfer_action_triggered(self) -> None:
        self._open_order_form(TransferDialog)

    def _on_debit_action_triggered(self) -> None:
        self._open_order_form(DebitDialog)

    def _open_order_form(self, form: type[TransferDialog] | type[DebitDialog]) -> None:
        dialog = form(
            self._ledger,
            runner=self._runner,
            identity=self._identity,
            account_ibans=self.account_ibans,
            account_names=self.account_names,
            parent=self,
        )
        dialog.created.connect(self._on_order_created)
        self.dialog = dialog
        dialog.open()

    def _on_order_created(self, result: OrderResult) -> None:
        self._changed(_("Order added to payment run {id}.").format(id=result.run_id))

    def _on_receivables_action_triggered(self) -> None:
        ledger, actor = self._ledger, self._identity.actor()

        def create(cancel: threading.Event, progress: Callable[[int, int], None]) -> list[OrderResult]:
            return debits_from_open_receivables(ledger, actor=actor)

        self._runner.run(create, on_success=self._on_receivables_collected, writes=True, parent=self)

    def _on_receivables_collected(self, results: list[OrderResult]) -> None:
        if not results:
            self.notice_label.setText(_("No open receivables of customers with a valid mandate."))
            return
        warnings = sum(len(result.warnings) for result in results)
        message = ngettext("{n} direct debit added.", "{n} direct debits added.", len(results)).format(n=len(results))
        if warnings:
            message += " " + ngettext("{n} warning to check.", "{n} warnings to check.", warnings).format(n=warnings)
        self._changed(message)

    def _on_mandates_action_triggered(self) -> None:
        self.dialog = MandatesDialog(self._ledger, runner=self._runner, identity=self._identity, parent=self)
        self.dialog.changed.connect(self.ledger_changed.emit)
        self.dialog.open()

    # -- changing orders ----------------------------------------------------------------------------
    def _on_edit_order_action_triggered(self) -> None:
        order = self.selected_order()
        if order is None or self._selected_status() not in CHANGEABLE:
            return
        dialog = OrderEditDialog(order, approved=self._selected_status() == "approved", parent=self)
        dialog.accepted.connect(lambda: self._change_order(order.id, *dialog.changes()))
        self.dialog = dialog
        dialog.open()

    def _change_order(self, order_id: int, amount: str | None, text: str | None) -> None:
        if amount is None and text is None:
            return
        ledger, actor = self._ledger, self._identity.actor()

        def change(cancel: threading.Event, progress: Callable[[int, int], None]) -> OrderResult:
            return update_order(ledger, order_id, amount=amount, text=text, actor=actor)

        done = _("Order {id} changed.").format(id=order_id)
        self._runner.run(change, on_success=lambda _result: self._changed(done), writes=True, parent=self)

    def _on_remove_order_action_triggered(self) -> None:
        order = self.selected_order()
        if order is None or self._selected_status() not in CHANGEABLE:
            return
        question = _("Remove the order to {name} over {amount} from run {run}?").format(
            name=order.name, amount=format_amount(order.amount), run=order.run_id
        )
        if self._selected_status() == "approved":
            question += "\n" + _("The run is approved: afterwards it needs approving again.")
        answer = QMessageBox.question(self, _("Remove order"), question)
        if answer != QMessageBox.StandardButton.Yes:
            return
        ledger, actor, order_id = self._ledger, self._identity.actor(), order.id

        def remove(cancel: threading.Event, progress: Callable[[int, int], None]) -> None:
            remove_order(ledger, order_id, actor=actor)

        done = _("Order {id} removed.").format(id=order_id)
        self._runner.run(remove, on_success=lambda _result: self._changed(done), writes=True, parent=self)

    def selected_orders(self) -> list[OrderRow]:
        return [self.order_model.row_at(index.row()) for index in self.order_table.selectionModel().selectedRows()]

    def _on_move_orders_action_triggered(self) -> None:
        orders = self.selected_orders()
        source = next((run for run in self.run_model.rows() if run.id == self.selected_run_id()), None)
        if not orders or source is None or source.status not in CHANGEABLE:
            return
        open_runs = [run for run in self.run_model.rows() if run.status in CHANGEABLE]
        dialog = MoveOrdersDialog(len(orders), source, open_runs, parent=self)
        dialog.accepted.connect(lambda: self._move_orders([order.id for order in orders], *dialog.choice()))
        self.dialog = dialog
        dialog.open()

    def _move_orders(self, order_ids: list[int], to_run_id: int | None, day: date | None) -> None:
        ledger, actor = self._ledger, self._identity.actor()

        def move(cancel: threading.Event, progress: Callable[[int, int], None]) -> int:
            return move_orders(ledger, order_ids, to_run_id=to_run_id, execution_on=day, actor=actor)

        def done(run_id: int) -> None:
            self._changed(
                ngettext("{n} order moved to run {run}.", "{n} orders moved to run {run}.", len(order_ids)).format(
                    n=len(order_ids), run=run_id
                )
            )

        self._runner.run(move, on_success=done, writes=True, parent=self)

    # -- run actions ------------------------------------------------------------------------------
    def _on_submit_action_triggered(self) -> None:
        run_id = self.selected_run_id()
        if run_id is None:
            return
        ledger, actor = self._ledger, self._identity.actor()

        def submit(cancel: threading.Event, progress: Callable[[int, int], None]) -> RunRow:
            return submit_run(ledger, run_id, actor=actor)

        self._runner.run(submit, on_success=self._on_submitted, writes=True, parent=self)

    def _on_submitted(self, row: RunRow) -> None:
        self._changed(_("Run {id} is submitted for approval.").format(id=row.id))

    def _on_approve_action_triggered(self) -> None:
        self.open_approval()

    def _on_reject_action_triggered(self) -> None:
        dialog = self.open_approval()
        if dialog is not None:
            dialog.reason_edit.setFocus()

    def open_approval(self) -> ApprovalDialog | None:
        """The approval dialog of the selected run; it also rejects, with a reason."""
        run_id = self.selected_run_id()
        if run_id is None:
            return None
        dialog = ApprovalDialog(self._ledger, run_id, runner=self._runner, identity=self._identity, parent=self)
        dialog.approved.connect(lambda result: self._changed(result.message))
        dialog.run_rejected.connect(lambda row: self._changed(_("Run {id} is rejected.").format(id=row.id)))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _on_export_action_triggered(self) -> None:
        run_id = self.selected_run_id()
        if run_id is None:
            return
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Export payment run"), f"kontor-run-{run_id}.xml", _("SEPA XML files (*.xml)")
        )
        if not path:
            return
        self.export_to(run_id, Path(path))

    def export_to(self, run_id: int, path: Path) -> None:
        """Write the run's pain file; the service validates it against the XSD and marks the run as sent."""
        ledger, actor = self._ledger, self._identity.actor()

        def export(cancel: threading.Event, progress: Callable[[int, int], None]) -> ExportResult:
            return export_run(ledger, run_id, path, actor=actor)

        self._runner.run(export, on_success=self._on_exported, writes=True, parent=self)

    def _on_exported(self, result: ExportResult) -> None:
        self._changed(
            ngettext(
                "Run {id}: {count} order exported to {path}.",
                "Run {id}: {count} orders exported to {path}.",
                result.count,
            ).format(id=result.run_id, count=result.count, path=result.path)
        )

    def _on_send_action_triggered(self) -> None:
        run_id = self.selected_run_id()
        if run_id is None:
            return
        ledger, prompts, actor = self._ledger, self._runner.prompts, self._identity.actor()

        def send(cancel: threading.Event, progress: Callable[[int, int], None]) -> SendResult:
            return send_run(ledger, run_id, prompts=prompts, actor=actor, cancel=cancel)

        self.notice_label.setText(_("Sending run {id} to the bank…").format(id=run_id))
        self.send_job = self._runner.run(
            send,
            on_success=lambda result: self._on_sent(run_id, result),
            on_failure=self._on_send_failed,
            writes=True,
            parent=self,
        )
        self._update_actions()

    def _on_prompt_dialogs_cancelled(self) -> None:
        if self.send_job is not None:
            self.send_job.cancel.set()

    def _on_sent(self, run_id: int, result: SendResult) -> None:
        self.send_job = None
        if result.ok:
            self._changed(
                _("Run {id} is at the bank (reference {reference}).").format(id=run_id, reference=result.reference)
            )
        else:
            self._changed(_("The bank refused run {id}: {reason}").format(id=run_id, reason=result.message))

    def _on_send_failed(self, error: BaseException) -> None:
        """Nothing was sent (cancelled, wrong PIN or TAN, no connection): the run stays approved."""
        self.send_job = None
        self._update_actions()
        text = error.message if isinstance(error, PaymentError) else bank_error_text(error)
        self.notice_label.setText(text)
        if not isinstance(error, Cancelled):
            QMessageBox(QMessageBox.Icon.Warning, _("Send to bank"), text, QMessageBox.StandardButton.Ok, self).exec()

    # -- UI state ---------------------------------------------------------------------------------
    def save_ui_state(self, settings: QSettings) -> None:
        settings.setValue("payments/runs", self.run_table.horizontalHeader().saveState())
        settings.setValue("payments/orders", self.order_table.horizontalHeader().saveState())
        settings.setValue("payments/splitter", self.splitter.saveState())

    def restore_ui_state(self, settings: QSettings) -> None:
        for key, target in (
            ("payments/runs", self.run_table.horizontalHeader()),
            ("payments/orders", self.order_table.horizontalHeader()),
            ("payments/splitter", self.splitter),
        ):
            state = settings.value(key)
            if state is not None:
                target.restoreState(state)
