"""Small table models over invoice lists: the Invoices page and the Map dialog's search (hundreds of rows, not
millions, so a plain list with Python sorting), and the import wizard's preview of parsed rows."""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from app.services.formatting import format_amount, format_date
from app.services.i18n import N_, _
from app.services.invoices.importing import ParsedInvoice
from app.services.invoices.open_items import InvoiceRow, InvoiceStatus
from app.views.list_table_model import ListTableModel

InvoiceIdRole = Qt.ItemDataRole.UserRole + 1
OpenAmountRole = Qt.ItemDataRole.UserRole + 2  # Decimal
NeedsReviewRole = Qt.ItemDataRole.UserRole + 3
OVERDUE_COLOR = QColor("#b3261e")
PAID_COLOR = QColor("#8a939e")
REVIEW_COLOR = QColor("#a15c00")


class InvoiceColumn(IntEnum):
    NUMBER = 0
    CUSTOMER = 1
    ISSUED = 2
    DUE = 3
    AMOUNT = 4
    OPEN = 5
    STATUS = 6


HEADERS = {
    InvoiceColumn.NUMBER: N_("Invoice"),
    InvoiceColumn.CUSTOMER: N_("Customer"),
    InvoiceColumn.ISSUED: N_("Issued"),
    InvoiceColumn.DUE: N_("Due"),
    InvoiceColumn.AMOUNT: N_("Amount"),
    InvoiceColumn.OPEN: N_("Open"),
    InvoiceColumn.STATUS: N_("Status"),
}
_AMOUNTS = (InvoiceColumn.AMOUNT, InvoiceColumn.OPEN)
_SORT_KEYS: dict[InvoiceColumn, Callable[[InvoiceRow], Any]] = {
    InvoiceColumn.NUMBER: lambda row: row.number,
    InvoiceColumn.CUSTOMER: lambda row: row.customer_name.casefold(),
    InvoiceColumn.ISSUED: lambda row: row.issued_on,
    InvoiceColumn.DUE: lambda row: (row.due_on is None, row.due_on),
    InvoiceColumn.AMOUNT: lambda row: row.amount,
    InvoiceColumn.OPEN: lambda row: row.open_amount,
    InvoiceColumn.STATUS: lambda row: (row.status, row.overdue_days),
}


def status_text(row: InvoiceRow) -> str:
    """The status column: 'overdue (12 days)', with a marker when a re-import asks for a check."""
    if row.needs_review:
        return _("{status} · check").format(status=row.status_label)
    return row.status_label


class InvoiceTableModel(ListTableModel[InvoiceRow]):
    """Invoice rows as the service returns them; sorting is Python's `sorted` on the raw values."""

    columns = InvoiceColumn
    headers = HEADERS
    right_aligned = frozenset(_AMOUNTS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = InvoiceColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(column)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._color(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == InvoiceColumn.CUSTOMER and row.customer_number:
                return _("Customer number {number}").format(number=row.customer_number)
            if column == InvoiceColumn.STATUS and row.needs_review:
                return row.review_note
            return None
        if role == Qt.ItemDataRole.FontRole and column == InvoiceColumn.STATUS and row.needs_review:
            font = QFont()
            font.setBold(True)
            return font
        if role == InvoiceIdRole:
            return row.id
        if role == OpenAmountRole:
            return row.open_amount
        if role == NeedsReviewRole:
            return row.needs_review
        return None

    @staticmethod
    def _display(row: InvoiceRow, column: InvoiceColumn) -> str:
        if column == InvoiceColumn.NUMBER:
            return row.number
        if column == InvoiceColumn.CUSTOMER:
            return row.customer_name
        if column == InvoiceColumn.ISSUED:
            return format_date(row.issued_on)
        if column == InvoiceColumn.DUE:
            return format_date(row.due_on) if row.due_on else ""
        if column == InvoiceColumn.AMOUNT:
            return format_amount(row.amount, row.currency)
        if column == InvoiceColumn.OPEN:
            return format_amount(row.open_amount, row.currency)
        return status_text(row)

    @staticmethod
    def _color(row: InvoiceRow, column: InvoiceColumn) -> QColor | None:
        if row.needs_review and column == InvoiceColumn.STATUS:
            return REVIEW_COLOR
        if row.status in (InvoiceStatus.PAID, InvoiceStatus.CANCELLED):
            return PAID_COLOR
        overdue_columns = (InvoiceColumn.DUE, InvoiceColumn.OPEN, InvoiceColumn.STATUS)
        if row.status == InvoiceStatus.OVERDUE and column in overdue_columns:
            return OVERDUE_COLOR
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(InvoiceColumn):
            return
        self.layoutAboutToBeChanged.emit()
        self._rows.sort(key=_SORT_KEYS[InvoiceColumn(column)], reverse=order == Qt.SortOrder.DescendingOrder)
        self.layoutChanged.emit()


class PreviewColumn(IntEnum):
    ROW = 0
    NUMBER = 1
    CUSTOMER = 2
    CUSTOMER_NUMBER = 3
    ISSUED = 4
    DUE = 5
    AMOUNT = 6
    OPEN = 7
    CURRENCY = 8


PREVIEW_HEADERS = {
    PreviewColumn.ROW: N_("Row"),
    PreviewColumn.NUMBER: N_("Invoice"),
    PreviewColumn.CUSTOMER: N_("Customer"),
    PreviewColumn.CUSTOMER_NUMBER: N_("Customer no."),
    PreviewColumn.ISSUED: N_("Issued"),
    PreviewColumn.DUE: N_("Due"),
    PreviewColumn.AMOUNT: N_("Amount"),
    PreviewColumn.OPEN: N_("Open"),
    PreviewColumn.CURRENCY: N_("Currency"),
}


class InvoicePreviewTableModel(ListTableModel[ParsedInvoice]):
    """The import wizard's first rows, as they would be stored (parsed dates and amounts, not the raw cells)."""

    columns = PreviewColumn
    headers = PREVIEW_HEADERS
    right_aligned = frozenset({PreviewColumn.ROW, PreviewColumn.AMOUNT, PreviewColumn.OPEN})

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        cell = self.cell(index)
        if cell is None:
            return None
        row, index_column = cell
        column = PreviewColumn(index_column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(column)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        texts = {
            PreviewColumn.ROW: str(row.row),
            PreviewColumn.NUMBER: row.number,
            PreviewColumn.CUSTOMER: row.customer,
            PreviewColumn.CUSTOMER_NUMBER: row.customer_number,
            PreviewColumn.ISSUED: format_date(row.issued_on),
            PreviewColumn.DUE: format_date(row.due_on) if row.due_on else "",
            PreviewColumn.AMOUNT: format_amount(row.amount, row.currency),
            PreviewColumn.OPEN: format_amount(row.open_amount, row.currency) if row.open_amount is not None else "",
            PreviewColumn.CURRENCY: row.currency,
        }
        return texts[column]
