"""Payment runs as the Payments page lists them (dozens, not millions: a plain list, Python sorting)."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.services.formatting import format_amount, format_date, grouped_iban
from app.services.i18n import N_, _
from app.services.payments.runs import RUN_STATUS_LABELS, RunRow
from app.views.list_table_model import ListTableModel

RunIdRole = Qt.ItemDataRole.UserRole + 1
RunStatusRole = Qt.ItemDataRole.UserRole + 2

STATUS_LABELS = RUN_STATUS_LABELS
STATUS_COLORS = {
    "draft": QColor("#5f6b7a"),
    "submitted": QColor("#a15c00"),
    "approved": QColor("#1b6ec2"),
    "sent": QColor("#6a3ab2"),
    "booked": QColor("#2e7d32"),
    "rejected": QColor("#8a939e"),
    "failed": QColor("#b3261e"),
}
KIND_LABELS = {"transfer": N_("Transfer"), "debit": N_("Direct debit")}


class RunColumn(IntEnum):
    ID = 0
    KIND = 1
    ACCOUNT = 2
    EXECUTION = 3
    COUNT = 4
    TOTAL = 5
    STATUS = 6


HEADERS = {
    RunColumn.ID: N_("Run"),
    RunColumn.KIND: N_("Type"),
    RunColumn.ACCOUNT: N_("Account"),
    RunColumn.EXECUTION: N_("Execution"),
    RunColumn.COUNT: N_("Orders"),
    RunColumn.TOTAL: N_("Total"),
    RunColumn.STATUS: N_("Status"),
}
_RIGHT_COLUMNS = (RunColumn.ID, RunColumn.COUNT, RunColumn.TOTAL)


def status_label(row: RunRow) -> str:
    """The status with its reason (why it was rejected or failed) where there is one."""
    label = _(STATUS_LABELS.get(row.status, row.status))
    return f"{label}: {row.status_reason}" if row.status_reason else label


class PaymentRunTableModel(ListTableModel[RunRow]):
    """Run rows as `list_runs` returns them; `RunIdRole` carries the id the page acts on."""

    columns = RunColumn
    headers = HEADERS
    right_aligned = frozenset(_RIGHT_COLUMNS)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.account_names: dict[str, str] = {}  # the own accounts' names by IBAN, set by the page before the rows

    def row_of(self, run_id: int) -> int:
        """The table row of a run, or -1 once it is gone."""
        return next((number for number, row in enumerate(self._rows) if row.id == run_id), -1)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = RunColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(column)
        if role == Qt.ItemDataRole.ForegroundRole and column == RunColumn.STATUS:
            return STATUS_COLORS.get(row.status)
        if role == Qt.ItemDataRole.ToolTipRole and column == RunColumn.STATUS:
            return _("created by {name}").format(name=row.created_by)
        if role == Qt.ItemDataRole.ToolTipRole and column == RunColumn.ACCOUNT:
            return grouped_iban(row.account_iban)
        if role == RunIdRole:
            return row.id
        if role == RunStatusRole:
            return row.status
        return None

    def _display(self, row: RunRow, column: RunColumn) -> str:
        if column == RunColumn.ID:
            return str(row.id)
        if column == RunColumn.KIND:
            kind = _(KIND_LABELS.get(row.kind, row.kind))
            return f"{kind} ({row.scheme})" if row.kind == "debit" else kind
        if column == RunColumn.ACCOUNT:
            return self.account_names.get(row.account_iban) or grouped_iban(row.account_iban)
        if column == RunColumn.EXECUTION:
            return format_date(row.execution_on)
        if column == RunColumn.COUNT:
            return str(row.count)
        if column == RunColumn.TOTAL:
            return format_amount(row.total)
        return status_label(row)
