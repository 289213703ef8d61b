"""Bank › Sync now and friends: one job per connection, progress and Cancel in the status bar, a summary after."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.demobank import DemoBankServer
from app.services.banking.account_choice import include_again, left_out_accounts
from app.services.banking.connections import ConnectionSummary, list_connections, remove_connection, sync
from app.services.banking.fints_client import BankError, Cancelled, WrongPinError
from app.services.banking.pins import pin_for
from app.services.formatting import format_date, grouped_iban
from app.services.i18n import _, ngettext
from app.services.ledger.database import Ledger
from app.services.ledger.users import current_actor
from app.services.payments.runs import after_statement_import
from app.services.reconciliation.overview import Outcome
from app.services.statements.balances import accounts_overview
from app.views.bank_connection_wizard import BankConnectionWizard
from app.views.jobs import Job, JobRunner, Progress
from app.views.resources import icon
from app.views.sync_results_dialog import SyncedConnection, SyncResultsDialog
from app.views.tan_dialog import BankPromptDialogs, bank_error_text


def sync_summary(synced: list[SyncedConnection]) -> str:
    """'Sync finished: 12 new (Geschäftskonto 10, Tagesgeld 2)' plus warning and failure counts, for the status bar."""
    results = [item.result for item in synced if item.result is not None]
    new = sum(result.new for result in results)
    parts = [
        f"{item.names.get(account.iban) or account.iban} {account.new}"
        for item in synced
        for account in (item.result.accounts if item.result else [])
    ]
    warnings = sum(result.warnings for result in results)
    failed = sum(1 for item in synced if item.result is None)
    text = ngettext("Sync finished: {n} new transaction", "Sync finished: {n} new transactions", new).format(n=new)
    if parts:
        text += f" ({', '.join(parts)})"
    if new:
        outcome = Outcome(
            new=new,
            assigned=sum(result.outcome.assigned for result in results),
            no_invoice=sum(result.outcome.no_invoice for result in results),
            attention=sum(result.outcome.attention for result in results),
        )
        text += " · " + outcome.text()
    if warnings:
        text += " · " + ngettext("{n} warning", "{n} warnings", warnings).format(n=warnings)
    if failed:
        text += " · " + ngettext("{n} bank not synced", "{n} banks not synced", failed).format(n=failed)
    return text


class BankSyncFlow(QObject):
    """The Bank menu's actions; owns the running sync and the Cancel button the window puts in its status bar."""

    synced = Signal(object)  # list[SyncedConnection], after the ledger changed
    activity = Signal(str)  # status bar progress; "" when done
    finished = Signal(str)  # the summary (or why it stopped), for the status bar

    def __init__(
        self, ledger: Ledger, *, runner: JobRunner, parent: QWidget, demo: DemoBankServer | None = None
    ) -> None:
        super().__init__(parent)
        self.ledger = ledger
        self._runner = runner
        self._window = parent
        self._demo = demo
        self.prompt_dialogs = BankPromptDialogs.attach(runner.prompts, demo_bank=demo.bank if demo else None)
        self.prompt_dialogs.cancelled.connect(self.cancel)
        self.job: Job | None = None
        self._queue: list[ConnectionSummary] = []
        self._done: list[SyncedConnection] = []
        self.wizard: BankConnectionWizard | None = None
        self.connections_dialog: ConnectionsDialog | None = None
        self.results_dialog: SyncResultsDialog | None = None
        self._current: ConnectionSummary | None = None  # the connection the running job syncs

        self.sync_action = QAction(icon("sync"), _("&Sync now"), parent)
        self.sync_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.sync_action.setToolTip(_("Fetch new bookings from every connected bank (F5)"))
        self.sync_action.triggered.connect(self.sync_all)
        self.add_action = QAction(icon("bank"), _("&Add bank connection…"), parent)
        self.add_action.triggered.connect(self.add_connection)
        self.manage_action = QAction(_("&Manage connections…"), parent)
        self.manage_action.triggered.connect(self.manage_connections)
        self.cancel_button = QToolButton()
        self.cancel_button.setObjectName("syncCancelButton")
        self.cancel_button.setText(_("Cancel"))
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()

    def actions(self) -> list[QAction]:
        return [self.add_action, self.sync_action, self.manage_action]

    # -- syncing -------------------------------------------------------------------------------------
    def sync_all(self) -> None:
        """Every connection in turn, each one its own job and FinTS dialog; none yet opens the wizard."""
        if self.job is not None:
            return
        connections = list_connections(self.ledger)
        if not connections:
            self.add_connection()
            return
        self._queue, self._done = connections, []
        self.sync_action.setEnabled(False)
        self.cancel_button.show()
        self._next()

    def _next(self) -> None:
        if not self._queue:
            summary = sync_summary(self._done)
            self._finish(summary)
            if any(item.warnings or item.result is None for item in self._done):
                self.show_results(summary)
            return
        connection = self._queue.pop(0)
        ledger, prompts, actor = self.ledger, self._runner.prompts, current_actor()

        def run(cancel: threading.Event, progress: Progress) -> SyncedConnection:
            pin = pin_for(connection, prompts)
            if pin is None:
                raise Cancelled
            result = sync(
                ledger, connection.id, pin=pin, prompts=prompts, actor=actor, cancel=cancel, progress=progress,
                after_import=after_statement_import(actor),
            )  # fmt: skip
            with ledger.session() as session:
                names = {account.iban: account.name for account in accounts_overview(session)}
            return SyncedConnection(connection, result, names)

        self.activity.emit(_("Sync: {bank}…").format(bank=connection.bank_name))
        self.job = self._runner.run(
            run, on_success=self._on_sync_succeeded, on_failure=self._on_sync_failed, writes=True, parent=self._window
        )
        self.job.signals.progressed.connect(
            lambda done, total: self._on_job_progressed(connection.bank_name, done, total)
        )
        self._current = connection

    def _on_job_progressed(self, bank: str, done: int, total: int) -> None:
        if done < total:
            self.activity.emit(_("Sync: {bank} {n}/{total}…").format(bank=bank, n=done + 1, total=total))
        else:
            self.activity.emit(_("Sync: {bank}: saving and matching…").format(bank=bank))

    def _on_sync_succeeded(self, synced: SyncedConnection) -> None:
        self.job = None
        self._done.append(synced)
        self.synced.emit([synced])
        self._next()

    def _on_sync_failed(self, error: BaseException) -> None:
        """A bank's refusal is this connection's result and the others go on; a wrong PIN or a cancel stops all."""
        self.job = None
        self.synced.emit([])  # accounts fetched before a wrong TAN or a lost connection were imported
        if isinstance(error, BankError) and not isinstance(error, WrongPinError) and self._current is not None:
            self._done.append(SyncedConnection(self._current, None, {}, bank_error_text(error)))
            self._next()
            return
        self._queue = []
        if isinstance(error, Cancelled):
            self._finish(_("Sync cancelled."))
            return
        self._finish(_("Sync stopped: {reason}").format(reason=bank_error_text(error)))
        box = QMessageBox(
            QMessageBox.Icon.Warning, _("Sync"), bank_error_text(error), QMessageBox.StandardButton.Ok, self._window
        )
        box.exec()

    def _finish(self, text: str) -> None:
        self.sync_action.setEnabled(True)
        self.cancel_button.hide()
        self.activity.emit("")
        self.finished.emit(text)

    def show_results(self, summary: str) -> None:
        """Per-account results of the last sync, opened by itself when something needs a look."""
        self.results_dialog = SyncResultsDialog(self._done, summary=summary, parent=self._window)
        self.results_dialog.open()

    def cancel(self) -> None:
        """Cooperative: the service stops between protocol steps; nothing half-fetched is written."""
        self._queue = []
        if self.job is not None:
            self.job.cancel.set()

    # -- connections ---------------------------------------------------------------------------------
    def add_connection(self) -> None:
        self.wizard = BankConnectionWizard(
            self.ledger, runner=self._runner, demo_url=self._demo.url if self._demo else None, parent=self._window
        )
        self.wizard.connection_added.connect(self._on_wizard_connection_added)
        self.wizard.open()

    def _on_wizard_connection_added(self, summary: ConnectionSummary) -> None:
        self.finished.emit(_("Connected to {bank}; Sync now fetches the bookings.").format(bank=summary.bank_name))
        if self.connections_dialog is not None and self.connections_dialog.isVisible():
            self.connections_dialog.reload()

    def manage_connections(self) -> None:
        self.connections_dialog = ConnectionsDialog(self, parent=self._window)
        self.connections_dialog.open()

    def remove(self, connection: ConnectionSummary) -> None:
        """Accounts and their history stay; only the login (and a remembered PIN) go."""
        ledger, actor = self.ledger, current_actor()

        def run(cancel: threading.Event, progress: Progress) -> None:
            remove_connection(ledger, connection.id, actor=actor)

        dialog = self.connections_dialog
        self._runner.run(run, on_success=lambda _none: dialog.reload() if dialog else None, writes=True,
                         parent=dialog)  # fmt: skip


class ConnectionsDialog(QDialog):
    """Bank › Manage connections: the stored logins, their accounts and last sync; add and remove."""

    def __init__(self, flow: BankSyncFlow, *, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Bank connections"))
        self.setMinimumSize(520, 300)
        self._flow = flow
        self.list = QListWidget()
        self.remove_button = QPushButton(_("Remove…"))
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.include_button = QPushButton(_("Include left-out account…"))
        self.include_button.setToolTip(_("Fetch an account again that was left out when the bank was connected."))
        self.include_button.clicked.connect(self._on_include_button_clicked)
        add_button = QPushButton(_("Add…"))
        add_button.clicked.connect(flow.add_connection)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(add_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.remove_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.include_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.list.currentRowChanged.connect(self._on_list_current_row_changed)
        self._left_out: dict[int, list[str]] = {}
        self.reload()

    def reload(self) -> None:
        self.list.clear()
        ledger = self._flow.ledger
        for connection in list_connections(ledger):
            last = format_date(connection.last_sync_at.date()) if connection.last_sync_at else _("never synced")
            text = _("{bank} — {login} · {n} accounts · last sync: {last}").format(
                bank=connection.bank_name, login=connection.login, n=len(connection.accounts), last=last
            )
            self._left_out[connection.id] = left_out_accounts(ledger, connection.id)
            if self._left_out[connection.id]:
                text += " · " + ngettext("{n} left out", "{n} left out", len(self._left_out[connection.id])).format(
                    n=len(self._left_out[connection.id])
                )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, connection)
            self.list.addItem(item)
        self._on_list_current_row_changed(self.list.currentRow())

    def _selected(self) -> ConnectionSummary | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None and self.list.currentRow() >= 0 else None

    def _on_list_current_row_changed(self, row: int) -> None:
        connection = self._selected()
        self.remove_button.setEnabled(connection is not None)
        self.include_button.setEnabled(connection is not None and bool(self._left_out.get(connection.id)))

    def _on_include_button_clicked(self) -> None:
        connection = self._selected()
        left_out = self._left_out.get(connection.id, []) if connection is not None else []
        if connection is None or not left_out:
            return
        shown = [grouped_iban(iban) for iban in left_out]
        chosen, ok = QInputDialog.getItem(
            self, _("Include left-out account"), _("Fetch this account again at the next sync:"), shown, 0, False
        )
        if not ok:
            return
        iban = left_out[shown.index(chosen)]
        include_again(self._flow.ledger, connection.id, iban, actor=current_actor())
        self.reload()

    def _on_remove_button_clicked(self) -> None:
        if self.list.currentRow() < 0:
            return
        item = self.list.currentItem()
        connection: ConnectionSummary = item.data(Qt.ItemDataRole.UserRole)
        box = QMessageBox(
            QMessageBox.Icon.Question,
            _("Remove bank connection"),
            _("Remove the login {login} at {bank}? Its accounts and their bookings stay in the ledger.").format(
                login=connection.login, bank=connection.bank_name
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        if box.exec() == QMessageBox.StandardButton.Yes:
            self._flow.remove(connection)
