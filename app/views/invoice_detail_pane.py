"""Beside the invoice list: the selected invoice's payments, what happened to it, the credit used and its notes.

A few rows each, so plain QTableWidgets; the page loads the InvoiceDetail in a worker and hands it over."""

from __future__ import annotations

from datetime import UTC

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.formatting import format_amount, format_date
from app.services.i18n import N_, _
from app.services.invoices.invoice_detail import InvoiceDetail
from app.services.invoices.open_items import InvoiceRow

REVIEW_HELP = N_(
    "A re-import changed this invoice (amount, customer or due date) after payments had been allocated to it. "
    "Check that the payments below still fit; then “{button}” removes the flag. The allocations stay as "
    "they are; to change them, open the payment in Transactions › Map."
)
TransactionIdRole = Qt.ItemDataRole.UserRole + 1


def _small_table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # a handful of rows
    header.setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)  # the text, elided in the pane
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    return table


def _item(text: str, *, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class InvoiceDetailPane(QWidget):
    """Shows one invoice; `transaction_requested(id)` asks the window to select that booking in Transactions."""

    transaction_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("invoiceDetail")
        self.setMinimumWidth(240)
        self.title_label = QLabel()
        self.title_label.setObjectName("dialogHeading")
        self.title_label.setWordWrap(True)
        self.facts_label = QLabel()
        self.facts_label.setWordWrap(True)
        self.review_label = QLabel(_(REVIEW_HELP).format(button=_("Clear review flag")))
        self.review_label.setObjectName("hint")
        self.review_label.setWordWrap(True)
        self.payments_caption = QLabel()
        self.payments_caption.setObjectName("sectionLabel")
        self.payments_caption.setWordWrap(True)  # "Payments that settled it" is long in German
        self.payments_table = _small_table([_("Date"), _("Amount"), _("Booking text")])
        self.payments_table.itemDoubleClicked.connect(self._on_payments_table_item_double_clicked)
        self.payments_table.itemSelectionChanged.connect(self._on_payments_table_item_selection_changed)
        self.show_button = QPushButton(_("Show in Transactions"))
        self.show_button.setToolTip(_("Select this booking in the Transactions list (or double-click it)."))
        self.show_button.clicked.connect(self._on_show_button_clicked)
        self.history_caption = QLabel(_("History"))
        self.history_caption.setObjectName("sectionLabel")
        self.history_label = QLabel()  # a few lines that wrap in a narrow pane, where a table would cut them
        self.history_label.setWordWrap(True)
        self.history_label.setObjectName("invoiceHistory")
        self.notes_caption = QLabel(_("Notes"))
        self.notes_caption.setObjectName("sectionLabel")
        self.notes_label = QLabel()
        self.notes_label.setWordWrap(True)
        self.empty_label = QLabel(_("Select an invoice to see the payments that settled it and its history."))
        self.empty_label.setObjectName("hint")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.content = QWidget()
        layout = QVBoxLayout(self.content)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.title_label, self.facts_label, self.review_label, self.payments_caption,
                       self.payments_table, self.show_button, self.history_caption, self.history_label,
                       self.notes_caption, self.notes_label):  # fmt: skip
            layout.addWidget(widget)
        layout.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 0, 0, 0)
        outer.addWidget(self.empty_label, 1)
        outer.addWidget(self.content, 1)
        self.show_invoice(None, None)

    def show_invoice(self, row: InvoiceRow | None, detail: InvoiceDetail | None) -> None:
        """`row` from the list, `detail` once the worker read it (None: nothing selected, or several)."""
        self.empty_label.setVisible(row is None)
        self.content.setVisible(row is not None)
        if row is None:
            return
        self.title_label.setText(f"{row.number} · {row.customer_name}")
        facts = [
            _("Amount {amount}, open {open}").format(
                amount=format_amount(row.amount, row.currency), open=format_amount(row.open_amount, row.currency)
            ),
            _("Issued {issued}").format(issued=format_date(row.issued_on))
            + (", " + _("due {due}").format(due=format_date(row.due_on)) if row.due_on else ""),
            _("Status: {status}").format(status=row.status_label),
        ]
        if row.customer_credit:
            facts.append(_("The customer has {amount} credit.").format(amount=format_amount(row.customer_credit)))
        if detail is not None and detail.credit_used:
            facts.append(_("{amount} of it was paid from credit.").format(amount=format_amount(detail.credit_used)))
        self.facts_label.setText("\n".join(facts))
        self.review_label.setVisible(row.needs_review)
        self._fill_payments(row, detail)
        self._fill_history(detail)
        notes = detail.notes if detail is not None else []
        self.notes_caption.setVisible(bool(notes))
        self.notes_label.setVisible(bool(notes))
        self.notes_label.setText("\n".join(notes))

    def _fill_payments(self, row: InvoiceRow, detail: InvoiceDetail | None) -> None:
        payments = detail.payments if detail is not None else []
        self.payments_caption.setText(
            _("Payments that settled it") if payments else _("No payment is allocated to this invoice yet.")
        )
        self.payments_table.setVisible(bool(payments))
        self.show_button.setVisible(bool(payments))
        self.show_button.setEnabled(False)
        self.payments_table.setRowCount(len(payments))
        header = self.payments_table.horizontalHeader().sizeHint().height()
        row_height = self.payments_table.verticalHeader().defaultSectionSize()
        self.payments_table.setMaximumHeight(header + row_height * min(len(payments), 6) + 6)
        for index, payment in enumerate(payments):
            date_item = _item(format_date(payment.booked_on))
            date_item.setData(TransactionIdRole, payment.transaction_id)
            text = payment.counterparty + (" · " if payment.counterparty and payment.purpose else "") + payment.purpose
            if payment.from_credit:
                text = _("from credit") + " · " + text
            amount = format_amount(payment.amount, row.currency)
            if payment.discount:
                amount += " + " + _("{discount} written off").format(discount=format_amount(payment.discount))
            text_item = _item(text)
            text_item.setToolTip(text)
            for column, item in enumerate((date_item, _item(amount, right=True), text_item)):
                self.payments_table.setItem(index, column, item)

    def _fill_history(self, detail: InvoiceDetail | None) -> None:
        lines = []
        for entry in detail.history if detail is not None else []:
            at = entry.at.replace(tzinfo=UTC).astimezone() if entry.at.tzinfo is None else entry.at.astimezone()
            when = format_date(at.date()) + at.strftime(" %H:%M")  # the audit trail keeps UTC
            what = entry.text + (f", {format_amount(entry.amount)}" if entry.amount is not None else "")
            lines.append(f"{when} · {what} ({entry.actor})")
        self.history_label.setText("\n".join(lines))

    def selected_transaction(self) -> int | None:
        rows = self.payments_table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.payments_table.item(rows[0].row(), 0)
        return int(item.data(TransactionIdRole)) if item is not None else None

    def _on_payments_table_item_selection_changed(self) -> None:
        self.show_button.setEnabled(self.selected_transaction() is not None)

    def _on_payments_table_item_double_clicked(self, item: QTableWidgetItem) -> None:
        self.payments_table.selectRow(item.row())
        self._on_show_button_clicked()

    def _on_show_button_clicked(self) -> None:
        transaction_id = self.selected_transaction()
        if transaction_id is not None:
            self.transaction_requested.emit(transaction_id)
