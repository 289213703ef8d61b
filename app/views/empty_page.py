"""The friendly placeholder of a page that a later version fills: what will be here and how to get data."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.services.i18n import _
from app.views.resources import icon

TEXT_WIDTH = 520


def empty_state_label(text: str) -> QLabel:
    """The centred sentence a list shows while it has no rows yet; its look is `QLabel#emptyState` in kontor.qss."""
    label = QLabel(text)
    label.setObjectName("emptyState")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    return label


class EmptyStatePage(QWidget):
    """Texts are msgids, translated here so the page follows the UI language."""

    def __init__(self, *, title: str, icon_name: str, text: str, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyStatePage")
        picture = QLabel()
        picture.setPixmap(icon(icon_name).pixmap(QSize(64, 64)))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title_label = QLabel(_(title))
        self.title_label.setObjectName("emptyTitle")
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text_label = QLabel(_(text))
        self.hint_label = QLabel(_(hint))
        self.hint_label.setObjectName("hintLabel")
        column = QWidget()  # a fixed-width column, so wrapped text gets its full height
        column.setFixedWidth(TEXT_WIDTH)
        texts = QVBoxLayout(column)
        texts.setContentsMargins(0, 0, 0, 0)
        for label in (self.title_label, self.text_label, self.hint_label):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            texts.addWidget(label)
        texts.insertSpacing(2, 4)

        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(picture)
        layout.addSpacing(8)
        row = QHBoxLayout()  # stretches, not an alignment flag: only then does the layout ask heightForWidth
        row.addStretch(1)
        row.addWidget(column)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(3)
