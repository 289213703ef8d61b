"""The plumbing every table model shares: one IntEnum of columns, translated headers, alignment; and for a
plain list of rows, the rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from app.services.i18n import _

Row = TypeVar("Row")
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


class ColumnsTableModel(QAbstractTableModel):
    """Columns, headers and alignment; a subclass names its `columns`, their `headers` (N_ texts) and
    `right_aligned` columns, and keeps its rows as it likes (a list, a draft, an id array with a page cache)."""

    columns: type[IntEnum]
    headers: Mapping[Any, str]  # column -> N_() text
    right_aligned: frozenset[int] = frozenset()

    def alignment(self, column: int) -> int:
        return RIGHT if column in self.right_aligned else LEFT

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _(self.headers[section])
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(section)
        return None


class ListTableModel(ColumnsTableModel, Generic[Row]):
    """A flat table of `Row`s that answers `data` for its own roles (`cell` gives the row and column of an index)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Row]:
        return list(self._rows)

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    def cell(self, index: QModelIndex | QPersistentModelIndex) -> tuple[Row, int] | None:
        """The row and column behind `index`, or None for an index outside the rows."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._rows[index.row()], index.column()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)
