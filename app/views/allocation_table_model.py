"""The Map dialog's allocation table: one line per chosen invoice, amount and discount editable in place."""

from __future__ import annotations

from decimal import Decimal
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal

from app.services.formatting import format_amount, parse_amount
from app.services.i18n import N_, _, current_language
from app.services.reconciliation.draft import AllocationDraft
from app.views.list_table_model import ColumnsTableModel


class AllocationColumn(IntEnum):
    INVOICE = 0
    CUSTOMER = 1
    OPEN = 2
    AMOUNT = 3
    DISCOUNT = 4


HEADERS = {
    AllocationColumn.INVOICE: N_("Invoice"),
    AllocationColumn.CUSTOMER: N_("Customer"),
    AllocationColumn.OPEN: N_("Open"),
    AllocationColumn.AMOUNT: N_("Allocate"),
    AllocationColumn.DISCOUNT: N_("Discount"),
}
_EDITABLE = (AllocationColumn.AMOUNT, AllocationColumn.DISCOUNT)
_AMOUNTS = (AllocationColumn.OPEN, AllocationColumn.AMOUNT, AllocationColumn.DISCOUNT)


class AllocationTableModel(ColumnsTableModel):
    """A Qt face of an `AllocationDraft`; typed amounts are parsed by the Qt-free `parse_amount`."""

    columns = AllocationColumn
    headers = HEADERS
    right_aligned = frozenset(_AMOUNTS)

    edited = Signal()  # an amount changed, a line came or went: the remaining amount must be shown again
    rejected = Signal(str)  # a typed amount that is not one

    def __init__(self, draft: AllocationDraft | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.draft = draft or AllocationDraft()

    def reset(self, draft: AllocationDraft) -> None:
        self.beginResetModel()
        self.draft = draft
        self.endResetModel()
        self.edited.emit()

    def changed_all(self) -> None:
        """The draft was replaced or refilled from outside (a suggestion chosen)."""
        self.beginResetModel()
        self.endResetModel()
        self.edited.emit()

    def add(self, *, invoice_id: int, invoice_number: str, customer_name: str, open_amount: Decimal) -> int:
        """Append an invoice with the draft's default amount; an invoice already listed keeps its line."""
        existing = self.draft.index_of(invoice_id)
        if existing is not None:
            return existing
        row = len(self.draft.lines)
        self.beginInsertRows(QModelIndex(), row, row)
        self.draft.add(
            invoice_id=invoice_id, invoice_number=invoice_number, customer_name=customer_name, open_amount=open_amount
        )
        self.endInsertRows()
        self.edited.emit()
        return row

    def remove(self, row: int) -> None:
        if not 0 <= row < len(self.draft.lines):
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        self.draft.remove(row)
        self.endRemoveRows()
        self.edited.emit()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.draft.lines)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return flags | Qt.ItemFlag.ItemIsEditable if index.column() in _EDITABLE else flags

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.draft.lines):
            return None
        line = self.draft.lines[index.row()]
        column = AllocationColumn(index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(column)
        if role == Qt.ItemDataRole.EditRole and column in _EDITABLE:
            value = line.amount if column == AllocationColumn.AMOUNT else line.discount
            return f"{value:.2f}".replace(".", ",") if current_language() == "de" else f"{value:.2f}"
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        texts = {
            AllocationColumn.INVOICE: line.invoice_number,
            AllocationColumn.CUSTOMER: line.customer_name,
            AllocationColumn.OPEN: format_amount(line.open_amount),
            AllocationColumn.AMOUNT: format_amount(line.amount),
            AllocationColumn.DISCOUNT: format_amount(line.discount) if line.discount else "",
        }
        return texts[column]

    def setData(
        self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() not in _EDITABLE:
            return False
        try:
            amount = parse_amount(str(value)) if str(value).strip() else parse_amount("0")
        except ValueError:
            self.rejected.emit(_("“{text}” is not an amount.").format(text=value))
            return False
        if index.column() == AllocationColumn.AMOUNT:
            self.draft.set_amount(index.row(), amount)
        else:
            self.draft.set_discount(index.row(), amount)
        row = index.row()
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(AllocationColumn) - 1))
        self.edited.emit()
        return True
