"""A small read-only table model over the dashboard's latest transactions."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.services.formatting import format_amount, format_date, from_cents
from app.services.i18n import N_
from app.services.reports.dashboard import RecentTransaction
from app.views.list_table_model import ListTableModel

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


class RecentTransactionsModel(ListTableModel[RecentTransaction]):
    """Ten rows at most, replaced as a whole when the dashboard reloads."""

    columns = Column
    headers = HEADERS
    right_aligned = frozenset({Column.AMOUNT})

    def __init__(self, rows: list[RecentTransaction] | None = None) -> None:
        super().__init__()
        self._rows = list(rows or [])

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column in (Column.COUNTERPARTY, Column.PURPOSE):
            return self._display(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(column)
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
