"""The transactions table over any number of rows: an id array plus a bounded cache of pages (Anki's pattern).

Only the ids of the current filter and order live here (8 bytes a row); rows are read a page of 256 at a time
through an injected reader, formatted once, and kept in an LRU of ~100 pages. Sorting is a new query."""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from app.models.banking import BookingStatus
from app.services.formatting import format_amount, format_date
from app.services.i18n import N_, _
from app.services.statements.query import SortColumn, TransactionOrder, TransactionRow
from app.views.list_table_model import ColumnsTableModel

PAGE_SIZE = 256
MAX_PAGES = 100
AmountRole = Qt.ItemDataRole.UserRole + 1  # Decimal amount (signed)
TransactionIdRole = Qt.ItemDataRole.UserRole + 2
CREDIT_COLOR = QColor("#1b7a3a")
DEBIT_COLOR = QColor("#b3261e")
PENDING_COLOR = QColor("#6b6b6b")
RowReader = Callable[[Sequence[int]], list[TransactionRow]]


class Column(IntEnum):
    DATE = 0
    COUNTERPARTY = 1
    PURPOSE = 2
    AMOUNT = 3
    ACCOUNT = 4
    STATUS = 5


HEADERS = {
    Column.DATE: N_("Date"),
    Column.COUNTERPARTY: N_("Counterparty"),
    Column.PURPOSE: N_("Purpose"),
    Column.AMOUNT: N_("Amount"),
    Column.ACCOUNT: N_("Account"),
    Column.STATUS: N_("Status"),
}
SORT_COLUMNS = {
    Column.DATE: SortColumn.BOOKED_ON,
    Column.COUNTERPARTY: SortColumn.COUNTERPARTY,
    Column.PURPOSE: SortColumn.PURPOSE,
    Column.AMOUNT: SortColumn.AMOUNT,
    Column.ACCOUNT: SortColumn.ACCOUNT,
    Column.STATUS: SortColumn.STATUS,
}

# One cached row: the row itself and its six display strings, formatted once per page fetch.
_Cached = tuple[TransactionRow, tuple[str, ...]] | None


def display_texts(row: TransactionRow) -> tuple[str, ...]:
    """The strings of one row in column order (also what Ctrl+C would show a user)."""
    amount = format_amount(row.amount, row.currency)
    status = row.reconciliation_label
    if row.status == BookingStatus.PENDING:
        status = _("{state}, pending").format(state=status)
    return (
        format_date(row.booked_on),
        row.counterparty_name,
        " ".join(row.purpose.split()),  # statements wrap purposes at 27 or 35 characters
        f"+{amount}" if row.amount > 0 else amount,
        row.account_label,
        status,
    )


class TransactionTableModel(ColumnsTableModel):
    """Rows on demand by primary key. Lives on the GUI thread; `fetch_rows` must use its own Session."""

    columns = Column
    headers = HEADERS
    right_aligned = frozenset({Column.AMOUNT})

    sort_requested = Signal(object)  # TransactionOrder: the page re-queries the ids

    def __init__(self, fetch_rows: RowReader, parent: Any = None) -> None:
        super().__init__(parent)
        self._fetch_rows = fetch_rows
        self._ids: array[int] = array("q")
        self._pages: OrderedDict[int, list[_Cached]] = OrderedDict()
        self.page_fetches = 0  # for the benchmark and tests: how often the reader ran

    # -- ids ----------------------------------------------------------------------------------
    def set_ids(self, ids: array[int], *, rows: Sequence[TransactionRow] = ()) -> None:
        """Swap in a new id list (a new filter or order); `rows` may pre-fill the first page."""
        self.beginResetModel()
        self._ids = ids
        self._pages.clear()
        if rows:
            self._store_page(0, rows)
        self.endResetModel()

    def extend_ids(self, ids: array[int]) -> bool:
        """Grow the current list when it is a prefix of `ids` (the quick first page before the whole list),
        keeping scroll position and selection; False when it is not a prefix and the caller must reset."""
        old = len(self._ids)
        if len(ids) < old or ids[:old] != self._ids:
            return False
        if len(ids) > old:
            self._pages.pop(old // PAGE_SIZE, None)  # the last page may have been short
            self.beginInsertRows(QModelIndex(), old, len(ids) - 1)
            self._ids = ids
            self.endInsertRows()
        return True

    def invalidate(self) -> None:
        """Forget cached rows (after an import or a match) and repaint what is visible."""
        self._pages.clear()
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(Column) - 1))

    def ids(self) -> array[int]:
        return self._ids

    def id_at(self, row: int) -> int:
        return self._ids[row]

    def row_at(self, row: int) -> TransactionRow | None:
        cached = self._cached(row)
        return cached[0] if cached is not None else None

    def rows_at(self, rows: Sequence[int]) -> list[TransactionRow]:
        """Rows for a selection, read in one query per missing page (a selection can span the whole table)."""
        return [r for r in (self.row_at(row) for row in rows) if r is not None]

    # -- the page cache -----------------------------------------------------------------------
    def _store_page(self, page: int, rows: Sequence[TransactionRow]) -> list[_Cached]:
        by_id = {row.id: row for row in rows}
        start = page * PAGE_SIZE
        cached: list[_Cached] = []
        for transaction_id in self._ids[start : start + PAGE_SIZE]:
            row = by_id.get(transaction_id)
            cached.append((row, display_texts(row)) if row is not None else None)
        self._pages[page] = cached
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return cached

    def _cached(self, row: int) -> _Cached:
        page = row // PAGE_SIZE
        cached = self._pages.get(page)
        if cached is None:
            start = page * PAGE_SIZE
            self.page_fetches += 1
            cached = self._store_page(page, self._fetch_rows(self._ids[start : start + PAGE_SIZE].tolist()))
        else:
            self._pages.move_to_end(page)
        return cached[row - page * PAGE_SIZE]

    # -- Qt model -----------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        column = index.column()
        if role == TransactionIdRole:
            return self._ids[index.row()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(column)
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.ForegroundRole,
                        AmountRole):  # fmt: skip
            return None
        cached = self._cached(index.row())
        if cached is None:
            return None
        row, texts = cached
        if role == Qt.ItemDataRole.DisplayRole:
            return texts[column]
        if role == AmountRole:
            return row.amount
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.purpose if column == Column.PURPOSE else None
        if row.status == BookingStatus.PENDING:
            return PENDING_COLOR
        if column == Column.AMOUNT:
            return CREDIT_COLOR if row.amount > 0 else DEBIT_COLOR
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting is a new id query, never an in-memory sort; the page runs it and calls `set_ids`."""
        if 0 <= column < len(Column):
            descending = order == Qt.SortOrder.DescendingOrder
            self.sort_requested.emit(TransactionOrder(SORT_COLUMNS[Column(column)], descending))
