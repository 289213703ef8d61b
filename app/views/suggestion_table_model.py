"""The Map dialog's ranked suggestions: a score bar, the invoices, the amount and the engine's reasons as text."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.services.formatting import format_amount, format_score
from app.services.i18n import N_
from app.services.reconciliation.allocations import Suggestion
from app.views.list_table_model import RIGHT, ListTableModel

ScoreRole = Qt.ItemDataRole.UserRole + 1  # float 0..1
BAR_COLORS = ((0.85, QColor("#2e7d4f")), (0.5, QColor("#c58a00")), (0.0, QColor("#9aa4af")))


class SuggestionColumn(IntEnum):
    SCORE = 0
    INVOICES = 1
    CUSTOMER = 2
    AMOUNT = 3
    REASONS = 4


HEADERS = {
    SuggestionColumn.SCORE: N_("Score"),
    SuggestionColumn.INVOICES: N_("Invoices"),
    SuggestionColumn.CUSTOMER: N_("Customer"),
    SuggestionColumn.AMOUNT: N_("Amount"),
    SuggestionColumn.REASONS: N_("Why"),
}


class SuggestionTableModel(ListTableModel[Suggestion]):
    """Suggestions in the engine's order (best first)."""

    columns = SuggestionColumn
    headers = HEADERS
    right_aligned = frozenset({SuggestionColumn.AMOUNT})

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        cell = self.cell(index)
        if cell is None:
            return None
        suggestion, column = cell
        if role == ScoreRole:
            return suggestion.score
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(suggestion.reasons) or None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        parts = suggestion.allocations
        if column == SuggestionColumn.SCORE:
            return format_score(suggestion.score)
        if column == SuggestionColumn.INVOICES:
            return ", ".join(part.invoice_number for part in parts)
        if column == SuggestionColumn.CUSTOMER:
            return ", ".join(dict.fromkeys(part.customer_name for part in parts))
        if column == SuggestionColumn.AMOUNT:
            return " + ".join(format_amount(part.amount) for part in parts)
        return "; ".join(suggestion.reasons)


class ScoreDelegate(QStyledItemDelegate):
    """Paints the score as a short bar with the percentage beside it."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget is not None else None
        text = option.text
        option.text = ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        score = float(index.data(ScoreRole) or 0.0)
        rect = option.rect.adjusted(6, 0, -6, 0)
        bar_width = max(10, rect.width() - option.fontMetrics.horizontalAdvance("100 %") - 8)
        bar = QRect(rect.left(), rect.center().y() - 4, bar_width, 8)
        color = next(color for threshold, color in BAR_COLORS if score >= threshold)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#e3e7ec"))
        painter.drawRoundedRect(bar, 3, 3)
        painter.setBrush(color)
        painter.drawRoundedRect(QRect(bar.left(), bar.top(), max(3, int(bar.width() * score)), bar.height()), 3, 3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(option.palette.color(role))
        text_rect = QRect(bar.right() + 6, rect.top(), rect.right() - bar.right() - 6, rect.height())
        painter.drawText(text_rect, RIGHT, text)
        painter.restore()
