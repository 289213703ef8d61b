"""Every booking of every account: filter bar, a lazy table that stays smooth at a million rows, and details.

Each filter or sort change is one generation: a quick job reads the first page (painted at once), then a
second job reads the whole id list and extends the table. Results of an older generation are dropped."""

from __future__ import annotations

import html
import io
import logging
import threading
from array import array
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.models.banking import BookingStatus, Reconciliation
from app.services.formatting import format_amount, format_count, format_date, grouped_iban
from app.services.i18n import _, ngettext
from app.services.ledger.actor import current_actor
from app.services.ledger.database import Ledger
from app.services.payments.mandates import add_months
from app.services.private_files import open_private
from app.services.reconciliation.no_invoice import mark_no_invoice
from app.services.statements.query import (
    RECONCILIATION_LABELS,
    RECONCILIATION_STATES,
    TransactionDetail,
    TransactionFilter,
    TransactionOrder,
    TransactionRow,
    account_labels,
    export_csv,
    first_transaction_ids,
    parse_amount,
    transaction_detail,
    transaction_ids,
    transaction_rows,
    write_rows,
)
from app.services.statements.search_index import catch_up
from app.views.date_fields import date_edit
from app.views.empty_page import empty_state_label
from app.views.jobs import JobRunner
from app.views.map_dialog import MapDialog
from app.views.no_invoice_dialog import NoInvoiceDialog
from app.views.printing import PRINT_LIMIT, Printout, table_html
from app.views.tables import new_table, raw_text_view
from app.views.transaction_table_model import PAGE_SIZE, Column, TransactionTableModel

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 250
COLUMN_WIDTHS = {  # the purpose column takes the rest of the width
    Column.DATE: 86,
    Column.COUNTERPARTY: 180,
    Column.PURPOSE: 260,
    Column.AMOUNT: 106,
    Column.ACCOUNT: 110,
    Column.STATUS: 96,
}
EMPTY_TEXT = "No transactions yet — import a statement via File › Import or drop files here"
_FirstPage = tuple[array, list[TransactionRow]]


class TransactionsPage(QWidget):
    """The Transactions page; the main window calls `refresh()` after anything changed the ledger."""

    loaded = Signal(int)  # the whole id list of the current generation is in; the row count
    ledger_changed = Signal()  # a payment was mapped, ignored or undone in the Map dialog
    printout_shown = Signal()  # the print dialog is open with the listed transactions

    def __init__(self, ledger: Ledger, *, runner: JobRunner | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ledger = ledger
        self._runner = runner or JobRunner(self)
        self._generation = 0
        self._order = TransactionOrder()
        self._filter = TransactionFilter()
        self._loading = False
        self._selected_before: list[int] = []
        self.map_dialog: MapDialog | None = None
        self.printout: Printout | None = None
        self.model = TransactionTableModel(self._read_rows, self)
        self.model.sort_requested.connect(self._on_model_sort_requested)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_filter)
        self._build()
        self._load_accounts()
        self._apply_filter()

    # -- reading (each call takes its own short Session; nothing is shared across threads) --------
    def _read_rows(self, ids: Sequence[int]) -> list[TransactionRow]:
        with self._ledger.session() as session:
            return transaction_rows(session, ids)

    def _read_detail(self, transaction_id: int) -> TransactionDetail | None:
        with self._ledger.session() as session:
            return transaction_detail(session, transaction_id)

    # -- widgets ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.account_combo = QComboBox()
        self.account_combo.setMinimumContentsLength(10)
        self.account_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.all_dates = QCheckBox(_("All dates"))
        self.all_dates.setChecked(True)
        today = date.today()
        self.date_from = date_edit(add_months(today, -3))
        self.date_to = date_edit(today)
        self.direction_combo = QComboBox()
        for text, value in ((_("In and out"), "all"), (_("Incoming"), "in"), (_("Outgoing"), "out")):
            self.direction_combo.addItem(text, value)
        self.amount_min = self._amount_edit(_("min. amount"))
        self.amount_max = self._amount_edit(_("max. amount"))
        self.status_combo = QComboBox()
        self.status_combo.addItem(_("Any status"), "")
        for state in RECONCILIATION_STATES:
            self.status_combo.addItem(_(RECONCILIATION_LABELS[state]), state)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(_("Search name, purpose, reference…"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(120)

        for combo in (self.account_combo, self.direction_combo, self.status_combo):
            combo.currentIndexChanged.connect(self._apply_filter)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(self._apply_filter)
        self.all_dates.toggled.connect(self._on_all_dates_toggled)
        for line in (self.search_edit, self.amount_min, self.amount_max):
            line.textChanged.connect(self._search_timer.start)
            line.returnPressed.connect(self._apply_filter)  # Enter searches at once, without the typing pause
        self._on_all_dates_toggled(True)

        # Two rows, so the page still fits a narrow window (a laptop beside a PDF viewer).
        bar = QVBoxLayout()
        first, second = QHBoxLayout(), QHBoxLayout()
        first.setSpacing(6)
        second.setSpacing(6)
        first.addWidget(self.search_edit, 1)
        for widget in (self.account_combo, self.direction_combo, self.status_combo):
            first.addWidget(widget)
        for field in (self.all_dates, self.date_from, QLabel("–"), self.date_to, self.amount_min, self.amount_max):
            second.addWidget(field)
        second.addStretch(1)
        self.map_action = QAction(_("Map…"), self)
        self.map_action.setToolTip(_("Assign the selected payment to invoices, or mark it as one without invoice."))
        self.map_action.setEnabled(False)
        self.map_action.triggered.connect(self.open_map_dialog)
        self.no_invoice_action = QAction(_("No invoice…"), self)
        self.no_invoice_action.setToolTip(
            _("Mark the selected bookings as ones without invoice: salary, tax and the like.")
        )
        self.no_invoice_action.setEnabled(False)
        self.no_invoice_action.triggered.connect(self.open_no_invoice_dialog)
        bar.addLayout(first)
        bar.addLayout(second)

        self.table = new_table(self.model, widths=COLUMN_WIDTHS, stretch=Column.PURPOSE, extended=True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.table.horizontalHeader()
        header.setSortIndicatorShown(True)
        header.setSortIndicator(Column.DATE, Qt.SortOrder.DescendingOrder)
        header.sortIndicatorChanged.connect(self.model.sort)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu)
        self.table.doubleClicked.connect(self._on_table_double_clicked)

        self.copy_action = QAction(_("Copy"), self)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_action.triggered.connect(self.copy_selection)
        self.export_action = QAction(_("Export…"), self)
        self.export_action.setToolTip(_("The selected rows, or with one or none selected the whole list as filtered, "
                                        "as a CSV file."))  # fmt: skip
        self.export_action.triggered.connect(self._on_export_triggered)
        self.print_action = QAction(_("Print…"), self)
        self.print_action.setShortcut(QKeySequence.StandardKey.Print)
        self.print_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.print_action.setToolTip(_("Print the selected rows, or the whole list as filtered (Ctrl+P)."))
        self.print_action.triggered.connect(self._on_print_triggered)
        self.addAction(self.print_action)
        self.table.addAction(self.copy_action)
        # A tool bar folds what does not fit behind its extension arrow, so the page suits narrow windows.
        self.action_bar = QToolBar()
        self.action_bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.action_bar.addActions([self.map_action, self.no_invoice_action, self.export_action, self.print_action])
        second.addWidget(self.action_bar)
        self.map_button = self.action_bar.widgetForAction(self.map_action)
        self.no_invoice_button = self.action_bar.widgetForAction(self.no_invoice_action)
        # The bookkeeper's keys: Ctrl+F to search, Ctrl+M (or Enter on a row) to map the payment.
        self.find_action = QAction(_("Find"), self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.find_action.triggered.connect(self._on_find_triggered)
        self.addAction(self.find_action)
        self.map_action.setShortcuts([QKeySequence("Ctrl+M"), QKeySequence(Qt.Key.Key_Return)])
        self.map_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.table.addAction(self.map_action)

        self.detail_view = QTextBrowser()
        self.detail_view.setOpenLinks(False)
        self.raw_view = raw_text_view()
        self.raw_view.setPlaceholderText(_("The bank's original record appears here."))
        detail = QSplitter(Qt.Orientation.Vertical)
        detail.addWidget(self.detail_view)
        detail.addWidget(self.raw_view)
        detail.setSizes([400, 160])

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([1000, 280])

        self.empty_label = empty_state_label(_(EMPTY_TEXT))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.splitter)
        self.stack.addWidget(self.empty_label)

        self.count_label = QLabel()
        self.count_label.setObjectName("countLabel")
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.count_label)
        self._show_detail(None)

    @staticmethod
    def _amount_edit(placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setClearButtonEnabled(True)
        edit.setMaximumWidth(96)
        return edit

    # -- state -------------------------------------------------------------------------------
    @property
    def loading(self) -> bool:
        """True while the ids of the current filter and order are still being read (`loaded` ends it)."""
        return self._loading

    def _load_accounts(self) -> None:
        with self._ledger.session() as session:
            labels = account_labels(session)
        current = self.account_combo.currentData()
        self.account_combo.blockSignals(True)
        self.account_combo.clear()
        self.account_combo.addItem(_("All accounts"), 0)
        for account_id, label in sorted(labels.items(), key=lambda item: item[1].casefold()):
            self.account_combo.addItem(label, account_id)
        index = self.account_combo.findData(current) if current is not None else 0
        self.account_combo.setCurrentIndex(max(index, 0))
        self.account_combo.blockSignals(False)

    def current_filter(self) -> TransactionFilter:
        """The filter the bar shows; an amount that is not a number does not filter."""
        dated = not self.all_dates.isChecked()
        return TransactionFilter(
            account_ids=(self.account_combo.currentData(),) if self.account_combo.currentData() else (),
            date_from=self.date_from.date().toPython() if dated else None,  # type: ignore[arg-type]
            date_to=self.date_to.date().toPython() if dated else None,  # type: ignore[arg-type]
            direction=self.direction_combo.currentData(),
            amount_min=parse_amount(self.amount_min.text()),
            amount_max=parse_amount(self.amount_max.text()),
            statuses=(self.status_combo.currentData(),) if self.status_combo.currentData() else (),
            text=self.search_edit.text().strip(),
        )

    def refresh(self) -> None:
        """Re-read accounts and ids after an import or a match; the filter and order stay."""
        self._load_accounts()
        self.model.invalidate()
        self._query()

    def _on_all_dates_toggled(self, checked: bool) -> None:
        self.date_from.setEnabled(not checked)
        self.date_to.setEnabled(not checked)
        self._apply_filter()

    def _on_model_sort_requested(self, order: TransactionOrder) -> None:
        if order != self._order:
            self._order = order
            self._query()

    def _apply_filter(self) -> None:
        if not hasattr(self, "count_label"):
            return  # a signal while the bar is still being built
        self._search_timer.stop()
        wanted = self.current_filter()
        if wanted != self._filter or not self._generation:
            self._filter = wanted
            self._query()

    # -- the two-step query -------------------------------------------------------------------
    def _query(self) -> None:
        """Start a new generation: the first page first (painted at once), then every id in the background."""
        self._generation += 1
        generation, filter, order = self._generation, self._filter, self._order
        self._loading = True
        self._update_count()

        def first_page(cancel: threading.Event, progress: Callable[[int, int], None]) -> _FirstPage:
            if filter.text.strip():
                catch_up(self._ledger)  # bookings of a large import are indexed by their first search
            with self._ledger.session() as session:
                ids = first_transaction_ids(session, filter, order, limit=PAGE_SIZE)
                return ids, transaction_rows(session, ids.tolist())

        self._runner.run(first_page, on_success=lambda result: self._on_first_page(generation, result), parent=self)

    def _on_first_page(self, generation: int, result: _FirstPage) -> None:
        if generation != self._generation:
            return  # a newer filter or order was asked for meanwhile
        ids, rows = result
        self._remember_selection()
        self.model.set_ids(ids, rows=rows)
        self._restore_selection()
        if len(ids) < PAGE_SIZE:
            self._on_all_ids(generation, ids)
            return
        filter, order = self._filter, self._order

        def all_ids(cancel: threading.Event, progress: Callable[[int, int], None]) -> array:
            with self._ledger.session() as session:
                return transaction_ids(session, filter, order)

        self._runner.run(all_ids, on_success=lambda ids: self._on_all_ids(generation, ids), parent=self)

    def _on_all_ids(self, generation: int, ids: array) -> None:
        if generation != self._generation:
            return
        if not self.model.extend_ids(ids):
            self._remember_selection()
            self.model.set_ids(ids)
            self._restore_selection()
        self._loading = False
        self._update_count()
        empty_ledger = not ids and self._filter == TransactionFilter()
        self.stack.setCurrentWidget(self.empty_label if empty_ledger else self.splitter)
        self.loaded.emit(len(ids))

    def _update_count(self) -> None:
        count = self.model.rowCount()
        if self._loading and count >= PAGE_SIZE:
            self.count_label.setText(_("Loading…"))
        elif count == 0 and self._filter != TransactionFilter():
            self.count_label.setText(_("No transactions match the filter."))
        else:
            self.count_label.setText(
                ngettext("{count} transaction", "{count} transactions", count).format(count=format_count(count))
            )

    # -- selection, detail, copy, export ------------------------------------------------------
    def selected_ids(self) -> list[int]:
        """The selected transactions in table order (selections are read as ids, never as row objects)."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [self.model.id_at(row) for row in rows]

    def _remember_selection(self) -> None:
        self._selected_before = self.selected_ids()[:1]

    def _restore_selection(self) -> None:
        """Keep the current transaction selected across a refresh when it is on the first page."""
        if not self._selected_before:
            return
        ids = self.model.ids()
        wanted = self._selected_before[0]
        for row in range(min(len(ids), PAGE_SIZE)):
            if ids[row] == wanted:
                self.table.selectRow(row)
                return

    def _on_selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        current = self.table.selectionModel().selectedRows()
        self.copy_action.setEnabled(bool(current))
        row = self.model.row_at(current[0].row()) if len(current) == 1 else None
        self.map_action.setEnabled(row is not None and row.status == BookingStatus.BOOKED)
        rows = [self.model.row_at(index.row()) for index in current]
        open_ones = [
            r
            for r in rows
            if r is not None and r.status == BookingStatus.BOOKED and r.reconciliation == Reconciliation.OPEN
        ]
        self.no_invoice_action.setEnabled(bool(rows) and len(open_ones) == len(rows))
        if len(current) == 1:
            self._show_detail(self._read_detail(self.model.id_at(current[0].row())))
        else:
            self._show_detail(None)

    def _show_detail(self, detail: TransactionDetail | None) -> None:
        if detail is None:
            self.detail_view.setHtml(f"<p style='color:#777'>{html.escape(_('Select a transaction.'))}</p>")
            self.raw_view.setPlainText("")
            return
        self.detail_view.setHtml(detail_html(detail))
        self.raw_view.setPlainText(detail.raw)

    def copy_selection(self) -> None:
        """Selected rows as tab-separated text, ready to paste into a spreadsheet."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        if not rows:
            return
        buffer = io.StringIO()
        write_rows(self.model.rows_at(rows), buffer, delimiter="\t", header=False)
        QGuiApplication.clipboard().setText(buffer.getvalue())

    def listed_ids(self) -> list[int]:
        """What Export and Print take: the selection when it is more than one row, else the whole filtered list."""
        selected = self.selected_ids()
        return selected if len(selected) > 1 else list(self.model.ids())

    def _on_export_triggered(self) -> None:
        if not self.listed_ids():
            return
        name = f"{_('transactions')}-{date.today():%Y-%m-%d}.csv"
        path, _filter = QFileDialog.getSaveFileName(self, _("Export transactions"), name, _("CSV files (*.csv)"))
        if path:
            self.export_listed(path)

    def export_listed(self, path: str) -> int:
        """Write the listed rows to a CSV file (UTF-8 with BOM, which Excel needs to read umlauts)."""
        with open_private(path, "w", encoding="utf-8-sig", newline="") as stream, self._ledger.session() as session:
            return export_csv(session, self.listed_ids(), stream)

    def _on_print_triggered(self) -> None:
        ids = self.listed_ids()
        if len(ids) > PRINT_LIMIT:
            QMessageBox.information(
                self,
                _("Print transactions"),
                _("{count} transactions are too many to print; narrow the filter or use Export….").format(
                    count=format_count(len(ids))
                ),
            )
            return
        if not ids:
            return
        ledger = self._ledger

        def read(cancel: threading.Event, progress: Callable[[int, int], None]) -> str:
            with ledger.session() as session:
                pages = (transaction_rows(session, ids[start : start + 1000]) for start in range(0, len(ids), 1000))
                return print_document([row for page in pages for row in page])

        self._runner.run(read, on_success=self._show_printout, parent=self)

    def _show_printout(self, html: str) -> None:
        self.printout = Printout(_("Print transactions"), html, self)
        self.printout_shown.emit()

    def _on_table_context_menu(self, position: Any) -> None:
        menu = QMenu(self)
        menu.addAction(self.map_action)
        menu.addAction(self.no_invoice_action)
        menu.addAction(self.copy_action)
        menu.addAction(self.export_action)
        menu.addAction(self.print_action)
        menu.exec(self.table.viewport().mapToGlobal(position))

    # -- mapping to invoices --------------------------------------------------------------------
    def open_map_dialog(self) -> None:
        """The Map dialog for the one selected booked transaction."""
        if not self.map_action.isEnabled():
            return
        self.map_dialog = MapDialog(self._ledger, self.selected_ids()[0], runner=self._runner, parent=self)
        self.map_dialog.changed.connect(self._on_map_dialog_changed)
        self.map_dialog.open()

    def _on_find_triggered(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def open_no_invoice_dialog(self) -> None:
        """Category (and a rule for the account) for the selected open bookings, all marked in one go."""
        if not self.no_invoice_action.isEnabled():
            return
        ids = self.selected_ids()
        rows = [self.model.row_at(index.row()) for index in self.table.selectionModel().selectedRows()]
        ibans = {row.counterparty_iban for row in rows if row is not None}
        iban = next(iter(ibans)) if len(ibans) == 1 else ""
        dialog = NoInvoiceDialog(len(ids), iban, parent=self)
        dialog.accepted.connect(lambda: self._mark_no_invoice(ids, *dialog.choice()))
        self.no_invoice_dialog = dialog
        dialog.open()

    def _mark_no_invoice(self, ids: list[int], category: str, note: str, rule: bool) -> None:
        ledger, actor = self._ledger, current_actor()

        def run(cancel: threading.Event, progress: Callable[[int, int], None]) -> int:
            return mark_no_invoice(ledger, ids, category, note=note, always_for_iban=rule, actor=actor)

        self._runner.run(run, on_success=lambda _count: self._on_map_dialog_changed(), writes=True, parent=self)

    def _on_map_dialog_changed(self) -> None:
        self.refresh()
        self.ledger_changed.emit()

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        if index.column() == Column.STATUS:
            self.open_map_dialog()

    # -- UI state -----------------------------------------------------------------------------
    def save_ui_state(self, settings: QSettings) -> None:
        settings.setValue("transactions/header", self.table.horizontalHeader().saveState())
        settings.setValue("transactions/splitter", self.splitter.saveState())

    def restore_ui_state(self, settings: QSettings) -> None:
        header = settings.value("transactions/header")
        if header is not None:
            self.table.horizontalHeader().restoreState(header)
        splitter = settings.value("transactions/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)


def _detail_rows(detail: TransactionDetail) -> list[tuple[str, str]]:
    row = detail.row
    fields = [
        (_("Amount"), format_amount(row.amount, row.currency)),
        (_("Booked on"), format_date(row.booked_on)),
        (_("Value date"), format_date(row.value_on) if row.value_on else ""),
        (_("Account"), f"{row.account_label} · {grouped_iban(detail.account_iban)}"),
        (_("Bank"), detail.account_bank),
        (_("Counterparty"), row.counterparty_name),
        (_("Counterparty IBAN"), grouped_iban(row.counterparty_iban) if row.counterparty_iban else ""),
        (_("Counterparty BIC"), detail.counterparty_bic),
        (_("Purpose"), row.purpose),
        (_("End-to-end ID"), row.end_to_end_id),
        (_("Mandate reference"), detail.mandate_id),
        (_("Creditor ID"), detail.creditor_id),
        (_("Bank reference"), detail.bank_reference),
        (_("Transaction code"), detail.transaction_code),
        (_("Batch reference"), detail.batch_ref),
        (_("Status"), row.reconciliation_label + (f" ({_('pending')})" if row.status == BookingStatus.PENDING else "")),
    ]
    if row.return_reason:
        fields.append((_("Return reason"), f"{row.return_reason} {detail.return_reason_text}".strip()))
    if detail.return_of is not None:
        original = detail.return_of
        fields.append(
            (
                _("Returns booking"),
                f"{format_date(original.booked_on)} · {original.counterparty_name} · "
                f"{format_amount(original.amount, original.currency)}",
            )
        )
    for returned in detail.returned_by:
        fields.append(
            (
                _("Returned by"),
                f"{format_date(returned.booked_on)} · {format_amount(returned.amount, returned.currency)} "
                f"{returned.return_reason}",
            )
        )
    fields.append((_("Imported from"), detail.imported_from))
    return [(label, value) for label, value in fields if value]


def detail_html(detail: TransactionDetail) -> str:
    """Every field of a booking, each label above its value: the pane is narrow, and a two-column table there
    broke values letter by letter (empty fields are left out)."""
    cells = "".join(
        f"<p style='margin:0 0 6px 0'><span style='color:#666'>{html.escape(label)}</span><br>"
        f"{html.escape(value).replace(chr(10), '<br>')}</p>"
        for label, value in _detail_rows(detail)
    )
    amount_color = "#1b7a3a" if detail.row.amount > 0 else "#b3261e"
    title = html.escape(detail.row.counterparty_name or _("Transaction"))
    amount = html.escape(format_amount(detail.row.amount, detail.row.currency))
    return (
        f"<h3 style='margin-bottom:2px'>{title}</h3>"
        f"<p style='font-size:large; color:{amount_color}; margin-top:0'><b>{amount}</b></p>"
        f"{cells}"
    )


def print_document(rows: Sequence[TransactionRow]) -> str:
    """The listed transactions as a printable table with their total (read in a worker, laid out on paper later)."""
    currencies = {row.currency for row in rows}
    total = sum((row.amount for row in rows), Decimal(0))
    total_text = format_amount(total, currencies.pop()) if len(currencies) == 1 else ""
    return table_html(
        _("Transactions"),
        ngettext("{count} transaction, printed {date}", "{count} transactions, printed {date}", len(rows)).format(
            count=format_count(len(rows)), date=format_date(date.today())
        ),
        [_("Date"), _("Account"), _("Counterparty"), _("Purpose"), _("Amount"), _("Status")],
        (
            [format_date(row.booked_on), row.account_label, row.counterparty_name, row.purpose,
             format_amount(row.amount, row.currency), row.reconciliation_label]
            for row in rows
        ),
        right=frozenset({4}),
        footer=["", "", "", _("Total"), total_text, ""],
    )  # fmt: skip
