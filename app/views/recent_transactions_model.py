"""A small read-only table model over the dashboard's latest transactions."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.services.formatting import format_amount, format_date, from_cents
from app.services.i18n import N_, _
from app.services.reports.dashboard import RecentTransaction

AmountRole = Qt.ItemDataRole.UserRole + 1  # raw integer cents
TransactionIdRole = Qt.ItemDataRole.UserRole + 2
NEGATIVE_COLOR = QColor("#b3261e")


class Column(IntEnum):
    BOOKED_ON = 0
    ACCOUNT = 1
    COUNTERPARTY = 2
    PURPOSE = 3
    AMOUNT = 4


HEADERS = {
    Column.BOOKED_ON: N_("Date"),
    Column.ACCOUNT: N_("Account"),
    Column.COUNTERPARTY: N_("Counterparty"),
    Column.PURPOSE: N_("Purpose"),
    Column.AMOUNT: N_("Amount"),
}


class RecentTransactionsModel(QAbstractTableModel):
    """Ten rows at most, replaced as a whole when the dashboard reloads."""

    def __init__(self, rows: list[RecentTransaction] | None = None) -> None:
        super().__init__()
        self._rows: list[RecentTransaction] = list(rows or [])

    def set_rows(self, rows: list[RecentTransaction]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _(HEADERS[Column(section)])
        if role == Qt.ItemDataRole.TextAlignmentRole and section == Column.AMOUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column in (Column.COUNTERPARTY, Column.PURPOSE):
            return self._display(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == Column.AMOUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == Column.AMOUNT and row.amount_cents < 0:
            return NEGATIVE_COLOR
        if role == AmountRole:
            return row.amount_cents
        if role == TransactionIdRole:
            return row.transaction_id
        return None

    @staticmethod
    def _display(row: RecentTransaction, column: Column) -> str:
        if column == Column.BOOKED_ON:
            return format_date(row.booked_on)
        if column == Column.ACCOUNT:
            return row.account_name
        if column == Column.COUNTERPARTY:
            return row.counterparty_name
        if column == Column.PURPOSE:
            return row.purpose
        return format_amount(from_cents(row.amount_cents), row.currency)
