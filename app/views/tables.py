"""The one look of Kontor's lists (whole-row selection, no row numbers, fixed row height, columns sized once) and
of raw text shown as it is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QPlainTextEdit, QTableView

Column = TypeVar("Column", bound=int)  # a table's IntEnum of columns
ROW_PADDING = 10  # pixels above the font height: room for the focus frame without looking sparse


def new_table(
    model: QAbstractItemModel,
    *,
    widths: Mapping[Column, int] | None = None,
    stretch: Column | None = None,
    extended: bool = False,
    editable: bool = False,
) -> QTableView:
    """A table over `model` in the shared look; `stretch` names the column that takes the spare width (else the last).

    The row height is fixed so that Qt never asks a million rows for size hints (PERFORMANCE.md §2).
    """
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    selection = QAbstractItemView.SelectionMode
    table.setSelectionMode(selection.ExtendedSelection if extended else selection.SingleSelection)
    table.setWordWrap(False)
    table.setAlternatingRowColors(True)
    if not editable:
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    vertical = table.verticalHeader()
    vertical.hide()
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(table.fontMetrics().height() + ROW_PADDING)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    for column, width in (widths or {}).items():
        header.resizeSection(column, width)
    if stretch is None:
        header.setStretchLastSection(True)
    else:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


def raw_text_view() -> QPlainTextEdit:
    """A file or bank record as it is: read-only, fixed-width, lines not wrapped, so columns stay aligned."""
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return view
