"""Receivables and payables with what is still open on them: filters, the import wizard, a manual match run.

The list comes from `invoice_rows` in a worker (a few hundred rows, so the whole list at once); each filter change
is a generation and older results are dropped."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QItemSelection, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.services.formatting import format_amount
from app.services.i18n import N_, _, ngettext
from app.services.invoices.importing import PAYABLE, RECEIVABLE, InvoiceImportResult
from app.services.invoices.invoice_detail import InvoiceDetail, invoice_detail
from app.services.invoices.open_items import InvoiceFilter, InvoiceRow, InvoiceStatus, invoice_rows
from app.services.invoices.open_items_export import (
    open_items,
    open_items_html,
    write_open_items_csv,
    write_open_items_pdf,
)
from app.services.invoices.originals import invoice_original, viewing_copy
from app.services.invoices.summary import InvoiceSummary, summarize
from app.services.ledger.database import Ledger
from app.services.ledger.users import current_actor
from app.services.payments.orders import OrderResult, create_debit, transfer_from_invoice
from app.services.payments.sepa_checks import PaymentError
from app.services.reconciliation.allocations import clear_review
from app.services.reconciliation.automatic import MatchSummary, match_payments
from app.services.reconciliation.credits import use_credit
from app.services.reconciliation.import_and_match import import_einvoices_and_match
from app.views.empty_page import empty_state_label
from app.views.invoice_detail_pane import InvoiceDetailPane
from app.views.invoice_import_dialog import InvoiceImportDialog
from app.views.invoice_table_model import InvoiceColumn, InvoiceIdRole, InvoiceTableModel, NeedsReviewRole
from app.views.jobs import JobRunner
from app.views.printing import Printout
from app.views.sign_in_dialog import Identity
from app.views.tables import new_table

SEARCH_DELAY_MS = 250
COLUMN_WIDTHS = {  # the customer takes what is left: beside the detail pane about 150 pixels at 1280
    InvoiceColumn.NUMBER: 115,
    InvoiceColumn.CUSTOMER: 200,
    InvoiceColumn.ISSUED: 85,
    InvoiceColumn.DUE: 85,
    InvoiceColumn.AMOUNT: 100,
    InvoiceColumn.OPEN: 100,
    InvoiceColumn.STATUS: 130,
}
KINDS = ((N_("All invoices"), None), (N_("Receivables"), RECEIVABLE), (N_("Payables"), PAYABLE))
STATUSES = (
    (N_("Any status"), None),
    (N_("Unpaid"), InvoiceStatus.OPEN),
    (N_("Overdue"), InvoiceStatus.OVERDUE),
    (N_("Partially paid"), InvoiceStatus.PARTIAL),
    (N_("Paid"), InvoiceStatus.PAID),
    (N_("Cancelled"), InvoiceStatus.CANCELLED),
    (N_("To check"), "review"),
)
REVIEW_BUTTON_HELP = N_(
    "For invoices flagged “to check”: a re-import changed them (amount, customer or due date) after payments were "
    "allocated to them. Check that those payments still fit (the detail pane lists them), then mark the invoices "
    "as checked; the flag goes, the allocations stay."
)
EMPTY_TEXT = N_("No invoices yet — import the invoice list of your billing system (a CSV export) with Import invoices…")
_Loaded = tuple[list[InvoiceRow], InvoiceSummary]
_Added = tuple[list[OrderResult], list[str]]


def choose_export_file(parent: QWidget, *, pdf: bool) -> Path | None:
    """The save dialog of Export; a separate function so tests can answer it."""
    name = _("open-items") + (".pdf" if pdf else ".csv")
    pattern = _("PDF (*.pdf)") if pdf else _("CSV (*.csv)")
    chosen, _filter = QFileDialog.getSaveFileName(parent, _("Export open items"), name, pattern)
    return Path(chosen) if chosen else None


class InvoicesPage(QWidget):
    """The Invoices page; the main window calls `refresh()` after anything changed the ledger."""

    loaded = Signal(int)  # rows shown
    detail_loaded = Signal(int)  # the invoice whose payments and history the detail pane now shows
    transaction_requested = Signal(int)  # "Show in Transactions" on one of an invoice's payments
    ledger_changed = Signal()  # an import, a match run or a cleared flag: other pages should reload
    reported = Signal(str)  # a one-line result for the status bar
    exported = Signal(object)  # the path of an open-items list written
    printed = Signal()

    def __init__(
        self,
        ledger: Ledger,
        *,
        runner: JobRunner | None = None,
        identity: Identity | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ledger = ledger
        self._runner = runner or JobRunner(self)
        self._identity = identity or Identity(self)  # nobody signed in: paying invoices is refused
        self._generation = 0
        self._detail_generation = 0
        self.summary = InvoiceSummary()
        self.import_dialog: InvoiceImportDialog | None = None
        self.printout: Printout | None = None
        self.model = InvoiceTableModel(self)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)
        self._build()
        self.refresh()

    def _build(self) -> None:
        self.kind_combo = QComboBox()
        for text, value in KINDS:
            self.kind_combo.addItem(_(text), value)
        self.status_combo = QComboBox()
        for text, value in STATUSES:
            self.status_combo.addItem(_(text), value)
        review = self.status_combo.findData("review")
        self.status_combo.setItemData(
            review,
            _("Invoices changed by a re-import after payments were allocated to them"),
            Qt.ItemDataRole.ToolTipRole,
        )
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(_("Search invoice number or customer…"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(160)
        self.kind_combo.currentIndexChanged.connect(self.refresh)
        self.status_combo.currentIndexChanged.connect(self.refresh)
        self.search_edit.textChanged.connect(self._search_timer.start)

        self.import_action = QAction(_("Import invoices…"), self)
        self.import_action.triggered.connect(self._on_import_button_clicked)
        self.einvoice_action = QAction(_("Import e-invoices…"), self)
        self.einvoice_action.setToolTip(_("XRechnung (XML), ZUGFeRD / Factur-X (PDF), or a ZIP of them"))
        self.einvoice_action.triggered.connect(self._on_einvoice_button_clicked)
        self.match_action = QAction(_("Match now"), self)
        self.match_action.setToolTip(_("Assign open payments to invoices where the match is certain."))
        self.match_action.triggered.connect(self._on_match_button_clicked)
        self.review_action = QAction(_("Clear review flag"), self)
        self.review_action.setToolTip(_(REVIEW_BUTTON_HELP))
        self.review_action.setEnabled(False)
        self.review_action.triggered.connect(self._on_review_button_clicked)
        self.pay_button = QPushButton(_("Pay…"))
        self.pay_button.setToolTip(_("Add the selected supplier invoices to a transfer run (open amount, their IBAN)."))
        self.pay_button.clicked.connect(self._on_pay_button_clicked)
        self.collect_button = QPushButton(_("Collect…"))
        self.collect_button.setToolTip(
            _("Collect the selected receivables by direct debit (customers with a mandate).")
        )
        self.collect_button.clicked.connect(self._on_collect_button_clicked)
        self.credit_button = QPushButton(_("Use credit"))
        self.credit_button.setToolTip(_("Settle the selected invoice from what its customer paid too much before."))
        self.credit_button.clicked.connect(self._on_credit_button_clicked)
        self.original_button = QPushButton(_("Open original"))
        self.original_button.setToolTip(_("Open the e-invoice file the selected invoice was imported from."))
        self.original_button.clicked.connect(self._on_original_button_clicked)

        self.export_action = QAction(_("Export…"), self)
        self.export_action.setToolTip(_("The open-items list (OP-Liste) of the chosen side, as CSV or PDF"))
        export_menu = QMenu(self)
        self.export_csv_action = export_menu.addAction(_("Open items as CSV…"))
        self.export_csv_action.triggered.connect(lambda: self.export_open_items(pdf=False))
        self.export_pdf_action = export_menu.addAction(_("Open items as PDF…"))
        self.export_pdf_action.triggered.connect(lambda: self.export_open_items(pdf=True))
        self.export_action.setMenu(export_menu)
        self.print_action = QAction(_("Print…"), self)
        self.print_action.setShortcut(QKeySequence.StandardKey.Print)
        self.print_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.print_action.setToolTip(_("Print the open-items list (OP-Liste) of the chosen side (Ctrl+P)."))
        self.print_action.triggered.connect(self.print_open_items)
        self.addAction(self.print_action)

        for combo in (self.kind_combo, self.status_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        # Actions above the filters in a tool bar, which folds what does not fit behind its extension arrow, so
        # the page still fits a narrow window.
        self.action_bar = QToolBar()
        self.action_bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.action_bar.addActions([self.import_action, self.einvoice_action, self.match_action, self.review_action])
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.action_bar.addWidget(spacer)
        self.action_bar.addActions([self.export_action, self.print_action])
        export_button = self.action_bar.widgetForAction(self.export_action)
        if isinstance(export_button, QToolButton):
            export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.import_button = self.action_bar.widgetForAction(self.import_action)
        self.einvoice_button = self.action_bar.widgetForAction(self.einvoice_action)
        self.match_button = self.action_bar.widgetForAction(self.match_action)
        self.review_button = self.action_bar.widgetForAction(self.review_action)
        self.export_button = export_button
        self.print_button = self.action_bar.widgetForAction(self.print_action)
        filters = QHBoxLayout()
        filters.setSpacing(6)
        filters.addWidget(self.search_edit, 1)
        filters.addWidget(self.kind_combo)
        filters.addWidget(self.status_combo)

        self.table = new_table(self.model, widths=COLUMN_WIDTHS, stretch=InvoiceColumn.CUSTOMER, extended=True)
        self.table.setSortingEnabled(True)
        header = self.table.horizontalHeader()
        header.setSortIndicator(InvoiceColumn.ISSUED, Qt.SortOrder.DescendingOrder)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)

        self.detail_pane = InvoiceDetailPane()
        self.detail_pane.transaction_requested.connect(self.transaction_requested)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail_pane)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([1000, 250])

        self.empty_label = empty_state_label(_(EMPTY_TEXT))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.splitter)
        self.stack.addWidget(self.empty_label)

        self.summary_label = QLabel()
        self.summary_label.setObjectName("summaryLabel")
        layout = QVBoxLayout(self)
        layout.addWidget(self.action_bar)
        layout.addLayout(filters)
        layout.addWidget(self.stack, 1)
        bottom = QHBoxLayout()  # the payment buttons act on the selection, next to the totals
        bottom.addWidget(self.summary_label, 1)
        bottom.addWidget(self.credit_button)
        bottom.addWidget(self.original_button)
        bottom.addWidget(self.pay_button)
        bottom.addWidget(self.collect_button)
        layout.addLayout(bottom)

    # -- loading -----------------------------------------------------------------------------
    def current_filter(self) -> InvoiceFilter:
        return InvoiceFilter(
            kind=self.kind_combo.currentData(),
            status=self.status_combo.currentData(),
            text=self.search_edit.text().strip(),
        )

    def refresh(self) -> None:
        """Re-read the invoices for the current filter in a worker."""
        self._search_timer.stop()
        self._generation += 1
        generation, wanted = self._generation, self.current_filter()
        ledger = self._ledger

        def load(cancel: threading.Event, progress: Callable[[int, int], None]) -> _Loaded:
            rows = invoice_rows(ledger, wanted)
            return rows, summarize(rows)

        self._runner.run(load, on_success=lambda result: self._on_loaded(generation, wanted, result), parent=self)

    def _on_loaded(self, generation: int, wanted: InvoiceFilter, result: _Loaded) -> None:
        if generation != self._generation:
            return
        rows, self.summary = result
        selected = set(self.selected_ids())
        self.model.set_rows(rows)
        header = self.table.horizontalHeader()
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        for row in range(self.model.rowCount()):
            if self.model.row_at(row).id in selected:
                self.table.selectRow(row)
        self.stack.setCurrentWidget(self.empty_label if not rows and wanted == InvoiceFilter() else self.splitter)
        self.summary_label.setText(
            ngettext("{count} invoice, {amount} open", "{count} invoices, {amount} open", self.summary.count).format(
                count=self.summary.count, amount=self.summary.open_text()
            )
        )
        self._on_selection_changed()
        self.loaded.emit(len(rows))

    def selected_ids(self) -> list[int]:
        return [index.data(InvoiceIdRole) for index in self.table.selectionModel().selectedRows()]

    def _on_selection_changed(
        self, selected: QItemSelection | None = None, deselected: QItemSelection | None = None
    ) -> None:
        flagged = [index for index in self.table.selectionModel().selectedRows() if index.data(NeedsReviewRole)]
        self.review_action.setEnabled(bool(flagged))
        self.pay_button.setEnabled(bool(self._selected(PAYABLE)))
        self.collect_button.setEnabled(bool(self._selected(RECEIVABLE)))
        rows = self._selected()
        self.original_button.setEnabled(len(rows) == 1 and rows[0].has_original)
        self.credit_button.setEnabled(
            len(rows) == 1 and rows[0].kind == RECEIVABLE and rows[0].customer_credit > 0 and rows[0].open_amount > 0
        )
        self._load_detail(rows[0] if len(rows) == 1 else None)

    def _load_detail(self, row: InvoiceRow | None) -> None:
        """The list's facts at once, the payments and history once a worker read them; a newer selection wins."""
        self._detail_generation += 1
        generation, ledger = self._detail_generation, self._ledger
        self.detail_pane.show_invoice(row, None)
        if row is None:
            return

        def load(cancel: threading.Event, progress: Callable[[int, int], None]) -> InvoiceDetail:
            return invoice_detail(ledger, row.id)

        def done(detail: InvoiceDetail) -> None:
            if generation == self._detail_generation:
                self.detail_pane.show_invoice(row, detail)
                self.detail_loaded.emit(row.id)

        self._runner.run(load, on_success=done, parent=self)

    def _selected(self, kind: str | None = None) -> list[InvoiceRow]:
        rows = [self.model.row_at(index.row()) for index in self.table.selectionModel().selectedRows()]
        return [row for row in rows if kind is None or row.kind == kind]

    # -- actions -----------------------------------------------------------------------------
    def _on_import_button_clicked(self) -> None:
        self.import_dialog = InvoiceImportDialog(self._ledger, runner=self._runner, parent=self)
        self.import_dialog.imported.connect(self._on_import_dialog_imported)
        self.import_dialog.open()

    def _on_import_dialog_imported(self, result: InvoiceImportResult) -> None:
        self.refresh()
        self.ledger_changed.emit()

    def _on_einvoice_button_clicked(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(
            self, _("Import e-invoices"), "", _("E-invoices (*.xml *.pdf *.zip)")
        )
        if paths:
            self.import_einvoices([Path(path) for path in paths])

    def import_einvoices(self, paths: list[Path]) -> None:
        """All files in one transaction (a bad one stops them all, with its name); then matching, as for a CSV."""
        ledger, actor = self._ledger, current_actor()

        def run(cancel: threading.Event, progress: Callable[[int, int], None]) -> str:
            outcome = import_einvoices_and_match(ledger, paths, actor=actor)
            return _("E-invoices: {new} new, {updated} updated. Matching: {summary}").format(
                new=outcome.imported.new, updated=outcome.imported.updated, summary=outcome.matching.text()
            )

        def done(text: str) -> None:
            self.reported.emit(text)
            self.refresh()
            self.ledger_changed.emit()

        self._runner.run(run, on_success=done, writes=True, progress_text=_("Importing e-invoices…"), parent=self)

    def _on_match_button_clicked(self) -> None:
        ledger, actor = self._ledger, current_actor()

        def run(cancel: threading.Event, progress: Callable[[int, int], None]) -> MatchSummary:
            return match_payments(ledger, actor=actor)

        self.match_action.setEnabled(False)
        self.reported.emit(_("Matching payments…"))
        job = self._runner.run(
            run, on_success=self._on_match_succeeded, writes=True, progress_text=_("Matching payments…"), parent=self
        )
        job.signals.finished.connect(lambda: self.match_action.setEnabled(True))

    def _on_match_succeeded(self, summary: MatchSummary) -> None:
        self.reported.emit(summary.text())
        self.refresh()
        self.ledger_changed.emit()

    def _on_review_button_clicked(self) -> None:
        ids = [index.data(InvoiceIdRole) for index in self.table.selectionModel().selectedRows()
               if index.data(NeedsReviewRole)]  # fmt: skip
        ledger, actor = self._ledger, current_actor()

        def run(cancel: threading.Event, progress: Callable[[int, int], None]) -> int:
            for invoice_id in ids:
                clear_review(ledger, invoice_id, actor=actor)
            return len(ids)

        self._runner.run(run, on_success=self._on_review_cleared, writes=True, parent=self)

    def _on_review_cleared(self, count: int) -> None:
        self.reported.emit(ngettext("{n} invoice checked", "{n} invoices checked", count).format(n=count))
        self.refresh()

    def _on_pay_button_clicked(self) -> None:
        ledger, actor = self._ledger, self._identity.actor()
        numbers = [row.number for row in self._selected(PAYABLE)]
        self._add_orders(numbers, lambda number: transfer_from_invoice(ledger, number, actor=actor))

    def _on_credit_button_clicked(self) -> None:
        [row] = self._selected()
        ledger, actor = self._ledger, self._identity.actor()

        def run(cancel: threading.Event, progress: Callable[[int, int], None]) -> Decimal:
            return use_credit(ledger, row.id, actor=actor)

        def done(used: Decimal) -> None:
            self.reported.emit(
                _("{amount} of {customer}'s credit used for {number}.").format(
                    amount=format_amount(used, row.currency), customer=row.customer_name, number=row.number
                )
            )
            self.refresh()
            self.ledger_changed.emit()

        self._runner.run(run, on_success=done, writes=True, parent=self)

    def _on_original_button_clicked(self) -> None:
        """The kept file, checked against its digest, copied to a private folder and given to the desktop's viewer."""
        [row] = self._selected()
        ledger = self._ledger

        def run(cancel: threading.Event, progress: Callable[[int, int], None]) -> Path:
            return viewing_copy(invoice_original(ledger, row.id))

        self._runner.run(run, on_success=self._open_original, parent=self)

    def _open_original(self, path: Path) -> None:
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            QMessageBox.information(
                self,
                _("Open original"),
                _("No program on this computer opens {name}. The file is at {path}.").format(name=path.name, path=path),
            )

    def _on_collect_button_clicked(self) -> None:
        ledger, actor = self._ledger, self._identity.actor()
        customers = {row.number: row.customer_number for row in self._selected(RECEIVABLE)}
        self._add_orders(
            list(customers),
            lambda number: create_debit(ledger, customer_number=customers[number], invoice_number=number, actor=actor),
        )

    def _add_orders(self, numbers: list[str], create: Callable[[str], OrderResult]) -> None:
        """One order per invoice; a refused invoice (paid, no mandate) is reported and the others still go in."""

        def run(cancel: threading.Event, progress: Callable[[int, int], None]) -> _Added:
            added, refused = [], []
            for number in numbers:
                try:
                    added.append(create(number))
                except PaymentError as error:
                    refused.append(f"{number}: {error.message}")
            return added, refused

        self._runner.run(run, on_success=self._on_orders_added, writes=True, parent=self)

    def _on_orders_added(self, result: _Added) -> None:
        added, refused = result
        notes = [order.note for order in added if order.note]
        notes += [warning.message for order in added for warning in order.warnings]
        text = ngettext(
            "{n} invoice added to a payment run; see Payments.",
            "{n} invoices added to payment runs; see Payments.",
            len(added),
        ).format(n=len(added))
        self.reported.emit(text)
        if refused or notes:
            box = QMessageBox(QMessageBox.Icon.Warning if refused else QMessageBox.Icon.Information, _("Payments"),
                              text, QMessageBox.StandardButton.Ok, self)  # fmt: skip
            box.setInformativeText("\n".join([*refused, *notes]))
            box.exec()
        if added:
            self.ledger_changed.emit()

    # -- open-items list ---------------------------------------------------------------------
    def _open_items_kind(self) -> str | None:
        """The side the kind filter shows; all invoices means both sides in one list."""
        kind = self.kind_combo.currentData()
        return kind if isinstance(kind, str) else None

    def export_open_items(self, *, pdf: bool) -> None:
        path = choose_export_file(self, pdf=pdf)
        if path is None:
            return
        ledger, kind = self._ledger, self._open_items_kind()

        def run(cancel: threading.Event, progress: Callable[[int, int], None]) -> int:
            items = open_items(ledger, kind=kind)
            return (write_open_items_pdf if pdf else write_open_items_csv)(items, path)

        def done(count: int) -> None:
            self.reported.emit(
                ngettext("{n} open invoice written to {path}", "{n} open invoices written to {path}", count).format(
                    n=count, path=path
                )
            )
            self.exported.emit(path)

        self._runner.run(run, on_success=done, parent=self)

    def print_open_items(self) -> None:
        """The list as a document for Qt's print dialog; read in a worker, printed in the GUI thread."""
        ledger, kind = self._ledger, self._open_items_kind()

        def run(cancel: threading.Event, progress: Callable[[int, int], None]) -> str:
            return open_items_html(open_items(ledger, kind=kind))

        self._runner.run(run, on_success=self._print_document, parent=self)

    def _print_document(self, html: str) -> None:
        self.printout = Printout(_("Open items"), html, self)
        self.printout.printed.connect(self.printed)

    # -- UI state ----------------------------------------------------------------------------
    def save_ui_state(self, settings: QSettings) -> None:
        settings.setValue("invoices/header", self.table.horizontalHeader().saveState())
        settings.setValue("invoices/splitter", self.splitter.saveState())

    def restore_ui_state(self, settings: QSettings) -> None:
        header = settings.value("invoices/header")
        if header is not None:
            self.table.horizontalHeader().restoreState(header)
        splitter = settings.value("invoices/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
