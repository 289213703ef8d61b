"""The bell in the status bar: how many notifications are unread, and a popup list of them with Mark all read.

Counts and lists are read in jobs; marking read is a writing job. The main window calls `refresh()` whenever the
ledger changed (imports, matches, mappings)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.services.formatting import format_date
from app.services.i18n import _, ngettext
from app.services.ledger.database import Ledger
from app.services.reconciliation.notifications import NotificationRow, mark_read, notifications, unread_count
from app.views.jobs import JobRunner
from app.views.resources import icon

BADGE_COLOR = QColor("#c62828")
ICON_SIZE = 20
UNREAD_COLOR = QColor("#1f2933")
READ_COLOR = QColor("#5f6b7a")
NotificationIdRole = Qt.ItemDataRole.UserRole + 1


def badge_icon(count: int) -> QIcon:
    """The bell with a red badge carrying the count (9+ above nine); the plain bell at zero."""
    bell = icon("bell")
    if count <= 0:
        return bell
    scale = 2  # drawn at twice the size so the badge digit stays sharp on high-DPI screens
    size = ICON_SIZE * scale
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    bell.paint(painter, 0, 0, size, size)
    diameter = size * 0.58
    badge = QRectF(size - diameter, 0, diameter, diameter)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(BADGE_COLOR)
    painter.drawEllipse(badge)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(diameter * 0.68))
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, str(count) if count < 10 else "9+")
    painter.end()
    pixmap.setDevicePixelRatio(scale)
    return QIcon(pixmap)


class NotificationListModel(QAbstractListModel):
    """Newest first (the service's order); unread ones in bold."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[NotificationRow] = []

    def set_rows(self, rows: Sequence[NotificationRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{format_date(row.created_at.date())}  {row.message}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.message
        if role == Qt.ItemDataRole.FontRole and not row.read:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole:
            return READ_COLOR if row.read else UNREAD_COLOR
        if role == NotificationIdRole:
            return row.id
        return None


class NotificationPopup(QFrame):
    """The list under the bell; closes itself when the user clicks elsewhere (a Qt popup window)."""

    mark_all_requested = Signal()

    def __init__(self, model: NotificationListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("notificationPopup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title_label = QLabel(_("Notifications"))
        self.title_label.setObjectName("sectionLabel")
        self.mark_all_button = QPushButton(_("Mark all read"))
        self.mark_all_button.clicked.connect(self.mark_all_requested)
        top = QHBoxLayout()
        top.addWidget(self.title_label, 1)
        top.addWidget(self.mark_all_button)
        self.list_view = QListView()
        self.list_view.setModel(model)
        self.list_view.setWordWrap(True)
        self.list_view.setUniformItemSizes(False)
        self.list_view.setAlternatingRowColors(True)
        self.list_view.setSpacing(2)
        self.empty_label = QLabel(_("No notifications."))
        self.empty_label.setObjectName("hintLabel")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.list_view, 1)
        layout.addWidget(self.empty_label)
        self.resize(520, 380)


class NotificationButton(QToolButton):
    """A bell with the unread count; a click opens the popup list (and reloads it)."""

    counted = Signal(int)  # a new unread count is shown
    listed = Signal(int)  # the popup list was (re)loaded; its length

    def __init__(self, ledger: Ledger, *, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ledger = ledger
        self._runner = runner
        self._generation = 0
        self.count = 0
        self.setObjectName("notificationButton")
        self.setAutoRaise(True)
        self.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.model = NotificationListModel(self)
        self.popup = NotificationPopup(self.model, self)
        self.popup.mark_all_requested.connect(self._on_popup_mark_all_requested)
        self.clicked.connect(self._on_clicked)
        self._show_count(0)
        self.refresh()

    def refresh(self) -> None:
        """Re-count the unread notifications, and reload the list if the popup is open."""
        self._generation += 1
        generation, ledger, listing = self._generation, self._ledger, self.popup.isVisible()

        def run(cancel: threading.Event, progress: Callable[[int, int], None]) -> tuple[int, list[NotificationRow]]:
            return unread_count(ledger), notifications(ledger) if listing else []

        self._runner.run(run, on_success=lambda result: self._on_loaded(generation, listing, result), parent=self)

    def _on_loaded(self, generation: int, listing: bool, result: tuple[int, list[NotificationRow]]) -> None:
        if generation != self._generation:
            return
        count, rows = result
        self._show_count(count)
        if listing:
            self.model.set_rows(rows)
            self.popup.empty_label.setVisible(not rows)
            self.popup.list_view.setVisible(bool(rows))
            self.popup.mark_all_button.setEnabled(count > 0)
            self.listed.emit(len(rows))

    def _show_count(self, count: int) -> None:
        self.count = count
        self.setIcon(badge_icon(count))
        self.setToolTip(
            ngettext("{n} unread notification", "{n} unread notifications", count).format(n=count)
            if count
            else _("No unread notifications")
        )
        self.counted.emit(count)

    def _on_clicked(self) -> None:
        self.show_popup()

    def show_popup(self) -> None:
        """Open the list above the bell (the status bar is at the bottom of the window), then load it."""
        size = self.popup.size()
        corner = self.mapToGlobal(QPoint(self.width(), 0))
        self.popup.move(max(0, corner.x() - size.width()), max(0, corner.y() - size.height()))
        self.popup.show()
        self.refresh()

    def _on_popup_mark_all_requested(self) -> None:
        ledger = self._ledger

        def run(cancel: threading.Event, progress: Callable[[int, int], None]) -> None:
            mark_read(ledger)

        self.popup.mark_all_button.setEnabled(False)
        self._runner.run(run, on_success=lambda _result: self.refresh(), writes=True, parent=self)
