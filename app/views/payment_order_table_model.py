"""The orders of one payment run, with the warnings an approver should see next to each."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.services.formatting import format_amount, grouped_iban
from app.services.i18n import N_, _
from app.services.payments.orders import PaymentWarning
from app.services.payments.runs import OrderRow
from app.views.list_table_model import ListTableModel

OrderIdRole = Qt.ItemDataRole.UserRole + 1
WARNING_KINDS = {
    "first_time": N_("First-time recipient"),
    "changed_iban": N_("Changed IBAN"),
    "large_amount": N_("Unusual amount"),
    "duplicate": N_("Possible duplicate"),
}
WARNING_COLOR = QColor("#a15c00")


class OrderColumn(IntEnum):
    RECIPIENT = 0
    IBAN = 1
    AMOUNT = 2
    TEXT = 3
    WARNINGS = 4
    PAYEE_CHECK = 5
    MANDATE = 6


HEADERS = {
    OrderColumn.RECIPIENT: N_("Recipient"),
    OrderColumn.IBAN: N_("IBAN"),
    OrderColumn.AMOUNT: N_("Amount"),
    OrderColumn.TEXT: N_("Text"),
    OrderColumn.WARNINGS: N_("Warnings"),
    OrderColumn.PAYEE_CHECK: N_("Payee check"),
    OrderColumn.MANDATE: N_("Mandate"),
}
SEQUENCE_LABELS = {
    "FRST": N_("first collection"),
    "RCUR": N_("recurring collection"),
    "OOFF": N_("one-off collection"),
    "FNAL": N_("final collection"),
}
PAYEE_CHECK_LABELS = {
    "RCVC": N_("Name matches"),
    "RVMC": N_("Close match"),
    "RVNM": N_("No match"),
    "RVNA": N_("Not checked"),
}


class PaymentOrderTableModel(ListTableModel[OrderRow]):
    """Order rows plus the warnings' messages by order id, both as the services computed them."""

    columns = OrderColumn
    headers = HEADERS
    right_aligned = frozenset({OrderColumn.AMOUNT})

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._warnings: dict[int, list[PaymentWarning]] = {}

    @staticmethod
    def hidden_columns(kind: str) -> tuple[OrderColumn, ...]:
        """A transfer run has no mandates; a debit run no payee check (the payer's bank does not verify)."""
        return (OrderColumn.PAYEE_CHECK,) if kind == "debit" else (OrderColumn.MANDATE,)

    def set_rows(self, rows: Sequence[OrderRow], warnings: Sequence[PaymentWarning] = ()) -> None:
        """The orders and their run's warnings; warnings without an order are the caller's to show."""
        self.beginResetModel()
        self._rows = list(rows)
        self._warnings = {}
        for warning in warnings:
            if warning.order_id is not None:
                self._warnings.setdefault(warning.order_id, []).append(warning)
        self.endResetModel()

    def warning_kinds(self, order_id: int) -> set[str]:
        return {warning.kind for warning in self._warnings.get(order_id, [])}

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = OrderColumn(index.column())
        warnings = self._warnings.get(row.id, [])
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column, warnings)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(column)
        if role == Qt.ItemDataRole.ForegroundRole and column == OrderColumn.WARNINGS and warnings:
            return WARNING_COLOR
        if role == Qt.ItemDataRole.ForegroundRole and column == OrderColumn.PAYEE_CHECK and row.payee_check != "RCVC":
            return WARNING_COLOR
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == OrderColumn.WARNINGS and warnings:
                return "\n".join(warning.message for warning in warnings)
            if column == OrderColumn.PAYEE_CHECK and row.payee_check_text:
                return row.payee_check_text
            if column == OrderColumn.IBAN and row.bic:
                return row.bic
            if column == OrderColumn.TEXT and row.end_to_end_id:
                return row.end_to_end_id
            if column == OrderColumn.MANDATE and row.sequence in SEQUENCE_LABELS:
                return _(SEQUENCE_LABELS[row.sequence])
        if role == OrderIdRole:
            return row.id
        return None

    @staticmethod
    def _display(row: OrderRow, column: OrderColumn, warnings: list[PaymentWarning]) -> str:
        if column == OrderColumn.RECIPIENT:
            return row.name
        if column == OrderColumn.IBAN:
            return grouped_iban(row.iban)
        if column == OrderColumn.AMOUNT:
            return format_amount(row.amount)
        if column == OrderColumn.TEXT:
            return row.remittance
        if column == OrderColumn.MANDATE:
            return f"{row.mandate_reference} · {row.sequence}" if row.mandate_reference else ""
        if column == OrderColumn.PAYEE_CHECK:
            label = _(PAYEE_CHECK_LABELS[row.payee_check]) if row.payee_check in PAYEE_CHECK_LABELS else ""
            return f"{label}: {row.payee_bank_name}" if row.payee_check == "RVMC" else label
        return " · ".join(dict.fromkeys(_(WARNING_KINDS.get(warning.kind, warning.kind)) for warning in warnings))
