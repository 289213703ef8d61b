"""The bank accounts with their current balances, and the balance chart of the selected account or of all.

Balances are computed by the services in a worker; the chart (and with it pyqtgraph) is built on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.formatting import format_amount
from app.services.i18n import _, ngettext
from app.services.ledger.actor import current_actor
from app.services.ledger.database import Ledger
from app.services.statements.account_names import rename_account
from app.services.statements.balances import AccountSummary, accounts_overview, daily_balances, total_balance
from app.views.account_table_model import AccountColumn, AccountIdRole, AccountTableModel
from app.views.empty_page import empty_state_label
from app.views.jobs import JobRunner
from app.views.tables import new_table

if TYPE_CHECKING:
    from app.views.balance_chart import BalanceChart

EMPTY_TEXT = "No accounts yet — import a statement via File › Import or connect your bank"
COLUMN_WIDTHS = {
    AccountColumn.NAME: 200,
    AccountColumn.BANK: 200,
    AccountColumn.IBAN: 240,
    AccountColumn.BALANCE: 150,
    AccountColumn.UPDATED: 110,
}
_Overview = tuple[list[AccountSummary], Decimal]


class AccountsPage(QWidget):
    """The Accounts page; the main window calls `refresh()` after an import or a sync."""

    loaded = Signal(int)  # accounts listed; their number
    chart_loaded = Signal(int)  # the chart shows new data; its number of points
    ledger_changed = Signal()  # an account was renamed: the other pages show its new name

    def __init__(self, ledger: Ledger, *, runner: JobRunner | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ledger = ledger
        self._runner = runner or JobRunner(self)
        self._generation = 0
        self._chart_generation = 0
        self.chart: BalanceChart | None = None
        self.model = AccountTableModel(self)

        self.table = new_table(self.model, widths=COLUMN_WIDTHS)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)

        self.table.doubleClicked.connect(self._on_rename_requested)
        self.rename_button = QPushButton(_("Rename…"))
        self.rename_button.setToolTip(_("Give the selected account a name of your own."))
        self.rename_button.setEnabled(False)
        self.rename_button.clicked.connect(self._on_rename_requested)
        self.total_label = QLabel()
        self.total_label.setObjectName("totalLabel")
        self.chart_title = QLabel()
        self.chart_title.setObjectName("chartTitle")
        self.chart_holder = QVBoxLayout()
        self.chart_holder.setContentsMargins(0, 0, 0, 0)
        self.chart_holder.addWidget(self.chart_title)
        chart_box = QWidget()
        chart_box.setLayout(self.chart_holder)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        heading = QHBoxLayout()
        heading.addWidget(self.total_label, 1)
        heading.addWidget(self.rename_button)
        top_layout.addLayout(heading)
        top_layout.addWidget(self.table)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(chart_box)
        self.splitter.setSizes([200, 540])

        self.empty_label = empty_state_label(_(EMPTY_TEXT))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.splitter)
        self.stack.addWidget(self.empty_label)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)
        self.refresh()

    def refresh(self) -> None:
        """Re-read accounts and balances in a worker; the selected account stays selected."""
        self._generation += 1
        generation = self._generation

        def overview(cancel: threading.Event, progress: Callable[[int, int], None]) -> _Overview:
            with self._ledger.session() as session:
                summaries = accounts_overview(session)
                return summaries, total_balance(summaries)

        self._runner.run(overview, on_success=lambda result: self._on_overview(generation, result), parent=self)

    def _on_overview(self, generation: int, result: _Overview) -> None:
        if generation != self._generation:
            return
        summaries, total = result
        selected = self.selected_account_id()
        self.model.set_accounts(summaries, total)
        self.stack.setCurrentWidget(self.splitter if summaries else self.empty_label)
        self.total_label.setText(
            ngettext("{count} account, total {amount}", "{count} accounts, total {amount}", len(summaries)).format(
                count=len(summaries), amount=format_amount(total)
            )
        )
        if summaries:
            rows = [r for r in range(self.model.rowCount()) if self.model.index(r, 0).data(AccountIdRole) == selected]
            self.table.selectRow(rows[0] if rows else 0)
            self._load_chart()  # selecting the same row again emits no selectionChanged
        self.loaded.emit(len(summaries))

    def selected_account_id(self) -> int | None:
        """The selected account's id; None for the "All accounts" row or no selection."""
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(AccountIdRole) if rows else None

    def _on_selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        self.rename_button.setEnabled(self.selected_account_id() is not None)
        if self.table.selectionModel().selectedRows():
            self._load_chart()

    def _on_rename_requested(self, *args: object) -> None:
        account_id = self.selected_account_id()
        if account_id is None:
            return
        rows = self.table.selectionModel().selectedRows()
        current = str(rows[0].siblingAtColumn(0).data() or "") if rows else ""
        name, accepted = QInputDialog.getText(self, _("Rename account"), _("Name of the account:"), text=current)
        if not accepted or not name.strip():
            return
        ledger, actor = self._ledger, current_actor()

        def rename(cancel: threading.Event, progress: Callable[[int, int], None]) -> str:
            return rename_account(ledger, account_id, name, actor=actor)

        self._runner.run(rename, on_success=lambda _name: self._on_renamed(), writes=True, parent=self)

    def _on_renamed(self) -> None:
        self.refresh()
        self.ledger_changed.emit()

    def _load_chart(self) -> None:
        self._chart_generation += 1
        generation, account_id = self._chart_generation, self.selected_account_id()
        rows = self.table.selectionModel().selectedRows()
        label = rows[0].siblingAtColumn(AccountColumn.NAME).data() if rows else ""
        if account_id is None:  # German declines "all accounts": "Saldo aller Konten", not "Saldo von Alle Konten"
            self.chart_title.setText(_("Balance of all accounts"))
        else:
            self.chart_title.setText(_("Balance of {account}").format(account=label))

        def points(cancel: threading.Event, progress: Callable[[int, int], None]) -> list[tuple[date, Decimal]]:
            with self._ledger.session() as session:
                return daily_balances(session, account_id)

        self._runner.run(points, on_success=lambda result: self._on_points(generation, result), parent=self)

    def _on_points(self, generation: int, points: list[tuple[date, Decimal]]) -> None:
        if generation != self._chart_generation:
            return
        chart = self._ensure_chart()
        chart.set_points(points)
        self.chart_loaded.emit(len(points))

    def _ensure_chart(self) -> BalanceChart:
        if self.chart is None:
            from app.views.balance_chart import BalanceChart  # pyqtgraph loads here, not at start-up

            self.chart = BalanceChart()
            self.chart_holder.addWidget(self.chart, 1)
        return self.chart

    def save_ui_state(self, settings: QSettings) -> None:
        settings.setValue("accounts/splitter", self.splitter.saveState())

    def restore_ui_state(self, settings: QSettings) -> None:
        state = settings.value("accounts/splitter")
        if state is not None:
            self.splitter.restoreState(state)
