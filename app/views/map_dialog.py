"""Map one payment to invoices by hand: ranked suggestions with their reasons, a search over every open invoice,
and an allocation table whose amounts the bookkeeper can change before booking.

All reading and booking runs in jobs; the arithmetic of the table lives in the Qt-free `AllocationDraft`."""

from __future__ import annotations

import html
import threading
from collections.abc import Callable

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.models.banking import BookingStatus, Reconciliation
from app.services.formatting import format_amount, format_date, grouped_iban
from app.services.i18n import _
from app.services.invoices.open_items import InvoiceRow, search_open_invoices
from app.services.ledger.database import Ledger
from app.services.ledger.users import current_actor
from app.services.payments.refunds import refund_payment
from app.services.reconciliation.allocations import (
    Suggestion,
    allocate_manually,
    ignore_payment,
    suggestions,
    undo_allocation,
    why_not_automatic,
)
from app.services.reconciliation.credits import PaidReference, paid_references, record_credit
from app.services.reconciliation.draft import AllocationDraft, PaymentToMap, payment_to_map
from app.views.allocation_table_model import AllocationColumn, AllocationTableModel
from app.views.errors import is_user_error, present_error
from app.views.invoice_table_model import InvoiceColumn, InvoiceTableModel
from app.views.jobs import JobRunner
from app.views.suggestion_table_model import ScoreDelegate, SuggestionColumn, SuggestionTableModel
from app.views.tables import new_table
from app.views.tone import set_tone

SEARCH_DELAY_MS = 300
WIDTH, HEIGHT = 980, 800  # with suggestions, search and allocation; a payment booked in full needs less
CREDIT_COLOR = "#1b7a3a"
DEBIT_COLOR = "#b3261e"
SUGGESTION_WIDTHS = {
    SuggestionColumn.SCORE: 120,
    SuggestionColumn.INVOICES: 200,
    SuggestionColumn.CUSTOMER: 200,
    SuggestionColumn.AMOUNT: 190,
}
SEARCH_WIDTHS = {
    InvoiceColumn.NUMBER: 130,
    InvoiceColumn.CUSTOMER: 220,
    InvoiceColumn.ISSUED: 90,
    InvoiceColumn.DUE: 90,
    InvoiceColumn.AMOUNT: 110,
    InvoiceColumn.OPEN: 110,
}
ALLOCATION_WIDTHS = {
    AllocationColumn.INVOICE: 130,
    AllocationColumn.CUSTOMER: 260,
    AllocationColumn.OPEN: 120,
    AllocationColumn.AMOUNT: 120,
}
_Loaded = tuple[PaymentToMap, list[Suggestion], str, list[PaidReference]]


def ask_ignore_reason(parent: QWidget) -> str | None:
    """Why a payment has no invoice; a separate function so tests can answer it. None when cancelled."""
    text, accepted = QInputDialog.getText(
        parent,
        _("No invoice"),
        _("Why does this payment have no invoice (for example tax refund, interest, own transfer)?"),
    )
    return text.strip() if accepted and text.strip() else None


def _how_booked(method: str) -> str:
    """How an allocation came about, in the words of the Map dialog's 'Allocated so far'."""
    if method == "auto":
        return _("automatic")
    if method == "suggested":
        return _("suggestion accepted")
    return _("by hand")


def _section(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionLabel")
    return label


class MapDialog(QDialog):
    """One transaction; `changed` is emitted after every booking, ignore or undo, so the pages reload."""

    changed = Signal()
    loaded = Signal()  # the payment and its suggestions are shown
    searched = Signal(str, int)  # search results shown: the text searched and the number found
    failed = Signal(str)  # a refused booking, shown inline

    def __init__(
        self, ledger: Ledger, transaction_id: int, *, runner: JobRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ledger = ledger
        self._runner = runner
        self.transaction_id = transaction_id
        self.payment: PaymentToMap | None = None
        self._search_generation = 0
        self.setWindowTitle(_("Map payment to invoices"))
        self.resize(WIDTH, HEIGHT)
        self.suggestion_model = SuggestionTableModel(self)
        self.search_model = InvoiceTableModel(self)
        self.allocation_model = AllocationTableModel(AllocationDraft(), self)
        self.allocation_model.edited.connect(self._on_allocation_model_edited)
        self.allocation_model.rejected.connect(self._show_error)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.search)
        self._build()
        self.reload()

    # -- widgets -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.header_label = QLabel()
        self.header_label.setTextFormat(Qt.TextFormat.RichText)
        self.header_label.setWordWrap(True)
        self.header_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Who paid what is the one thing to read first: never squeezed by the tables below.
        self.header_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.state_label = QLabel()
        self.state_label.setObjectName("hintLabel")
        self.state_label.setWordWrap(True)
        # A payment naming an invoice paid already: the key fact for a double payment, with what to do about it.
        self.paid_label = QLabel()
        self.paid_label.setObjectName("warningBox")
        self.paid_label.setWordWrap(True)
        self.credit_button = QPushButton()
        self.credit_button.setToolTip(_("Hold what is left of this payment for the customer; a later invoice uses it."))
        self.credit_button.clicked.connect(self._on_credit_button_clicked)
        self.refund_button = QPushButton(_("Refund…"))
        self.refund_button.setToolTip(
            _("A transfer of this payment back to the payer, into the draft run for approval.")
        )
        self.refund_button.clicked.connect(self._on_refund_button_clicked)
        paid_row = QHBoxLayout()
        paid_row.addWidget(self.paid_label, 1)
        paid_row.addWidget(self.credit_button)
        paid_row.addWidget(self.refund_button)
        self.paid_box = QWidget()
        self.paid_box.setLayout(paid_row)
        self.paid_box.hide()
        self._paid: list[PaidReference] = []

        self.suggestion_table = new_table(self.suggestion_model, widths=SUGGESTION_WIDTHS)
        self.suggestion_table.setItemDelegateForColumn(SuggestionColumn.SCORE, ScoreDelegate(self.suggestion_table))
        self.suggestion_table.selectionModel().selectionChanged.connect(self._on_suggestion_selection_changed)
        self.reasons_label = QLabel()
        self.reasons_label.setWordWrap(True)
        self.reasons_label.setObjectName("hintLabel")
        self.why_label = QLabel()  # why matching did not assign the payment itself
        self.why_label.setWordWrap(True)
        self.why_label.setObjectName("hintLabel")
        self.why_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.no_suggestions_label = QLabel(_("No suggestions — search for the invoice below."))
        self.no_suggestions_label.setObjectName("hintLabel")

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(_("Search open invoices by number, customer or customer number…"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._search_timer.start)
        self.search_table = new_table(self.search_model, widths=SEARCH_WIDTHS)
        self.search_table.doubleClicked.connect(self._on_search_table_double_clicked)
        self.add_button = QPushButton(_("Add to allocation"))
        self.add_button.setEnabled(False)
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.search_table.selectionModel().selectionChanged.connect(
            lambda *_args: self.add_button.setEnabled(bool(self.search_table.selectionModel().selectedRows()))
        )
        self.show_all_button = QPushButton(_("Show all customers"))
        self.show_all_button.setToolTip(_("The search starts with the payer's own invoices; this shows everyone's."))
        self.show_all_button.clicked.connect(self.search_edit.clear)
        self.show_all_button.hide()
        search_row = QHBoxLayout()
        search_row.addWidget(self.search_edit, 1)
        search_row.addWidget(self.show_all_button)
        search_row.addWidget(self.add_button)

        self.allocation_table = new_table(self.allocation_model, widths=ALLOCATION_WIDTHS, editable=True)
        self.allocation_table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.remove_button = QPushButton(_("Remove line"))
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.remove_button.setToolTip(_("Removes the selected line (Del)."))
        self.remove_line_action = QAction(self.remove_button.text(), self.allocation_table)
        self.remove_line_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.remove_line_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.remove_line_action.triggered.connect(self._on_remove_button_clicked)
        self.allocation_table.addAction(self.remove_line_action)
        self.remaining_label = QLabel()
        self.remaining_label.setObjectName("remainingLabel")
        allocation_row = QHBoxLayout()
        allocation_row.addWidget(self.remaining_label, 1)
        allocation_row.addWidget(self.remove_button)

        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        self.undo_button = QPushButton(_("Undo allocations"))
        self.undo_button.setToolTip(_("Take back every allocation of this payment (or its 'no invoice' mark)."))
        self.undo_button.clicked.connect(self._on_undo_button_clicked)
        self.ignore_button = QPushButton(_("No invoice…"))
        self.ignore_button.setToolTip(_("Mark the payment as one without an invoice; matching leaves it alone."))
        self.ignore_button.clicked.connect(self._on_ignore_button_clicked)
        self.allocate_button = QPushButton(_("Allocate"))
        self.allocate_button.setDefault(True)
        self.allocate_button.clicked.connect(self._on_allocate_button_clicked)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.ignore_button)
        buttons.addStretch(1)
        buttons.addWidget(self.allocate_button)
        buttons.addWidget(self.cancel_button)

        suggestions_box = self._box(
            _section(_("Suggestions")),
            self.why_label,
            self.suggestion_table,
            self.no_suggestions_label,
            self.reasons_label,
        )
        search_box = self._box(_section(_("Find an open invoice")), search_row, self.search_table)
        allocation_box = self._box(_section(_("Allocation")), self.allocation_table, allocation_row)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        for box in (suggestions_box, search_box, allocation_box):
            self.splitter.addWidget(box)
        self.splitter.setSizes([150, 270, 210])
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addWidget(self.header_label)
        layout.addWidget(self.state_label)
        layout.addWidget(self.paid_box)
        layout.addWidget(self.splitter, 1)
        layout.addStretch(0)  # takes the room while the splitter is hidden (a payment booked in full)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)
        for widget in (self.allocate_button, self.ignore_button, self.undo_button, self.search_edit):
            widget.setEnabled(False)

    @staticmethod
    def _box(*parts: QWidget | QHBoxLayout) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 4, 0, 0)
        for part in parts:
            if isinstance(part, QHBoxLayout):
                layout.addLayout(part)
            else:
                layout.addWidget(part, 1 if isinstance(part, QTableView) else 0)
        return box

    # -- loading -----------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the payment, its allocations and (while something is left to allocate) the suggestions."""
        ledger, transaction_id = self._ledger, self.transaction_id

        def load(cancel: threading.Event, progress: Callable[[int, int], None]) -> _Loaded:
            payment = payment_to_map(ledger, transaction_id)
            if not payment.can_allocate:
                return payment, [], "", []
            paid = paid_references(ledger, transaction_id)
            return payment, suggestions(ledger, transaction_id), why_not_automatic(ledger, transaction_id), paid

        self._runner.run(load, on_success=self._on_loaded, on_failure=self._on_failed, parent=self)

    def _on_loaded(self, result: _Loaded) -> None:
        payment, found, why, paid = result
        self.payment = payment
        self._show_paid(payment, paid)
        self.why_label.setText(_("Not assigned automatically: {reason}").format(reason=why) if why else "")
        self.why_label.setVisible(bool(why))
        self.header_label.setText(self._header_html(payment))
        self.state_label.setText(self._state_text(payment))
        self.suggestion_model.set_rows(found)
        self.suggestion_table.setVisible(bool(found))
        self.no_suggestions_label.setVisible(not found and payment.can_allocate)
        self.reasons_label.setText("")
        self.allocation_model.reset(AllocationDraft(payment.to_allocate))
        self.search_edit.setEnabled(payment.can_allocate)
        if self.splitter.isHidden() == payment.can_allocate:  # booked in full: the state line says how, compactly
            self.splitter.setVisible(payment.can_allocate)
            self.allocate_button.setVisible(payment.can_allocate)
            self.cancel_button.setText(_("Cancel") if payment.can_allocate else _("Close"))
            layout = self.layout()
            if layout is not None:
                layout.activate()
            self.resize(self.width(), HEIGHT if payment.can_allocate else self.sizeHint().height())
        self.ignore_button.setEnabled(payment.can_ignore)
        self.undo_button.setEnabled(payment.can_undo)
        if payment.can_allocate:
            # The payer's own invoices first (one click shows all); setting the text starts the search.
            if payment.payer_customer and not self.search_edit.text():
                self.search_edit.setText(payment.payer_customer)
                self.show_all_button.show()
            self.search()
        else:
            self.search_model.set_rows([])
        self.loaded.emit()

    def _show_paid(self, payment: PaymentToMap, paid: list[PaidReference]) -> None:
        self._paid = paid
        self.paid_box.setVisible(bool(paid))
        if not paid:
            return
        lines = [reference.text() for reference in paid]
        if payment.amount > 0:
            lines.append(_("A second payment: hold it as the customer's credit, or send it back."))
        self.paid_label.setText("\n".join(lines))
        customer = paid[0].customer_name
        self.credit_button.setText(_("Hold as credit for {customer}").format(customer=customer))
        incoming = payment.amount > 0
        self.credit_button.setVisible(incoming)
        self.refund_button.setVisible(incoming and payment.allocated == 0)

    def _on_credit_button_clicked(self) -> None:
        if not self._paid:
            return
        ledger, transaction_id, actor = self._ledger, self.transaction_id, current_actor()
        customer_id = self._paid[0].customer_id
        self._book(lambda: record_credit(ledger, transaction_id, customer_id, actor=actor), close=True)

    def _on_refund_button_clicked(self) -> None:
        payment = self.payment
        if payment is None:
            return
        question = _("Send {amount} back to {payer}? The transfer goes into the draft run for approval.").format(
            amount=format_amount(payment.amount, payment.currency), payer=payment.counterparty_name or _("(no name)")
        )
        if QMessageBox.question(self, _("Refund"), question) != QMessageBox.StandardButton.Yes:
            return
        ledger, transaction_id, actor = self._ledger, self.transaction_id, current_actor()
        self._book(lambda: refund_payment(ledger, transaction_id, actor=actor), close=True)

    @staticmethod
    def _header_html(payment: PaymentToMap) -> str:
        color = CREDIT_COLOR if payment.amount > 0 else DEBIT_COLOR
        amount = format_amount(payment.amount, payment.currency)
        name = payment.counterparty_name or _("(no name)")
        iban = f" · {html.escape(grouped_iban(payment.counterparty_iban))}" if payment.counterparty_iban else ""
        return (
            f"<div style='font-size:13pt; font-weight:600'>{html.escape(name)}"
            f" <span style='color:{color}'>{html.escape(amount)}</span></div>"
            f"<div style='color:#5f6b7a'>{html.escape(format_date(payment.booked_on))}{iban}</div>"
            f"<div>{html.escape(payment.purpose)}</div>"
        )

    @staticmethod
    def _state_text(payment: PaymentToMap) -> str:
        if payment.reconciliation == Reconciliation.IGNORED:
            note = f" ({payment.note})" if payment.note else ""
            return _("Marked as a payment without invoice{note}.").format(note=note)
        if payment.status != BookingStatus.BOOKED:
            return _("A pending booking cannot be allocated until the bank books it.")
        lines = [
            _("{number}: {amount}{discount} ({how})").format(
                number=part.invoice_number,
                amount=format_amount(part.amount, payment.currency),
                discount=_(", discount {amount}").format(amount=format_amount(part.discount)) if part.discount else "",
                how=_how_booked(part.method),
            )
            for part in payment.parts
        ]
        if payment.credit:
            lines.append(
                _("held as credit for {customer}: {amount}").format(
                    customer=payment.credit_customer, amount=format_amount(payment.credit, payment.currency)
                )
            )
        if lines:
            return _("Allocated so far: {parts}").format(parts="; ".join(lines))
        return _("Not allocated yet.")

    # -- suggestions and search --------------------------------------------------------------
    def _on_suggestion_selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        rows = self.suggestion_table.selectionModel().selectedRows()
        if not rows:
            return
        self.choose_suggestion(rows[0].row())

    def choose_suggestion(self, row: int) -> None:
        """Fill the allocation table with a suggestion's invoices and amounts, and say why it was suggested."""
        suggestion = self.suggestion_model.row_at(row)
        self.reasons_label.setText("\n".join(f"• {reason}" for reason in suggestion.reasons))
        self.allocation_model.draft.fill(suggestion)
        self.allocation_model.changed_all()

    def search(self) -> None:
        """Open invoices of the payment's side matching the search text, in a worker; older results are dropped."""
        self._search_timer.stop()
        if self.payment is None:
            return
        self._search_generation += 1
        generation, text, kind, ledger = (
            self._search_generation,
            self.search_edit.text().strip(),
            self.payment.kind,
            self._ledger,
        )

        def run(cancel: threading.Event, progress: Callable[[int, int], None]) -> list[InvoiceRow]:
            return search_open_invoices(ledger, text, kind=kind)

        self._runner.run(run, on_success=lambda rows: self._on_searched(generation, text, rows), parent=self)

    def _on_searched(self, generation: int, text: str, rows: list[InvoiceRow]) -> None:
        if generation != self._search_generation:
            return
        self.show_all_button.setVisible(bool(text))
        self.search_model.set_rows(rows)
        self.searched.emit(text, len(rows))

    def add_invoice(self, row: int) -> None:
        """Put a search result into the allocation table with min(open, remaining) as its amount."""
        invoice = self.search_model.row_at(row)
        self.allocation_model.add(
            invoice_id=invoice.id,
            invoice_number=invoice.number,
            customer_name=invoice.customer_name,
            open_amount=invoice.open_amount,
        )

    def _on_search_table_double_clicked(self, index: object) -> None:
        for selected in self.search_table.selectionModel().selectedRows():
            self.add_invoice(selected.row())

    def _on_add_button_clicked(self) -> None:
        for selected in self.search_table.selectionModel().selectedRows():
            self.add_invoice(selected.row())

    def _on_remove_button_clicked(self) -> None:
        rows = self.allocation_table.selectionModel().selectedRows()
        if rows:
            self.allocation_model.remove(rows[0].row())

    def _on_allocation_model_edited(self) -> None:
        draft = self.allocation_model.draft
        remaining = draft.remaining()
        currency = self.payment.currency if self.payment is not None else "EUR"
        self.remaining_label.setText(
            _("Allocated {allocated} of {available} — {remaining} left").format(
                allocated=format_amount(draft.allocated(), currency),
                available=format_amount(draft.available, currency),
                remaining=format_amount(remaining, currency),
            )
        )
        set_tone(self.remaining_label, "error" if remaining < 0 else "")
        can_allocate = self.payment is not None and self.payment.can_allocate
        self.allocate_button.setEnabled(can_allocate and bool(draft.lines))
        self.remove_button.setEnabled(bool(draft.lines))
        self.error_label.hide()

    # -- booking -----------------------------------------------------------------------------
    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        self.failed.emit(message)

    def _on_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        if is_user_error(error):
            self._show_error(str(error))
        else:
            present_error(error, parent=self)

    def _set_busy(self, busy: bool) -> None:
        payment = self.payment
        lines = bool(self.allocation_model.draft.lines)
        self.allocate_button.setEnabled(not busy and payment is not None and payment.can_allocate and lines)
        self.ignore_button.setEnabled(not busy and payment is not None and payment.can_ignore)
        self.undo_button.setEnabled(not busy and payment is not None and payment.can_undo)

    def _book(self, fn: Callable[[], object], *, close: bool) -> None:
        def run(cancel: threading.Event, progress: Callable[[int, int], None]) -> object:
            return fn()

        self.error_label.hide()
        self._set_busy(True)
        self._runner.run(
            run, on_success=lambda _result: self._on_booked(close), on_failure=self._on_failed, writes=True, parent=self
        )

    def _on_booked(self, close: bool) -> None:
        self.changed.emit()
        if close:
            self.accept()
        else:
            self.reload()

    def allocate(self) -> None:
        """Book the allocation table with `allocate_manually`; the service's refusal is shown in the dialog."""
        ledger, transaction_id, actor = self._ledger, self.transaction_id, current_actor()
        draft = self.allocation_model.draft
        items, taken = draft.allocations(), draft.taken_suggestion()
        self._book(lambda: allocate_manually(ledger, transaction_id, items, actor=actor, suggestion=taken), close=True)

    def _on_allocate_button_clicked(self) -> None:
        self.allocate()

    def _on_ignore_button_clicked(self) -> None:
        reason = ask_ignore_reason(self)
        if reason is None:
            return
        ledger, transaction_id, actor = self._ledger, self.transaction_id, current_actor()
        self._book(lambda: ignore_payment(ledger, transaction_id, reason, actor=actor), close=True)

    def _on_undo_button_clicked(self) -> None:
        ledger, transaction_id, actor = self._ledger, self.transaction_id, current_actor()
        self._book(lambda: undo_allocation(ledger, transaction_id=transaction_id, actor=actor), close=False)
