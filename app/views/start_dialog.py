"""The first thing a user sees without an open ledger: recent ledgers, plus New… and Open…."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.i18n import _
from app.views.resources import icon

PathRole = Qt.ItemDataRole.UserRole


class StartDialog(QDialog):
    """Only chooses; unlocking and creating are separate dialogs that the application opens on these signals."""

    open_requested = Signal(object)  # Path of an existing ledger
    new_requested = Signal()
    server_requested = Signal()  # "Connect to server…"

    def __init__(self, recent: list[Path], *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Kontor"))
        self.setWindowIcon(icon("kontor"))

        logo = QLabel()
        logo.setPixmap(icon("kontor").pixmap(QSize(48, 48)))
        heading = QLabel(_("Welcome to Kontor"))
        heading.setObjectName("startHeading")
        intro = QLabel(_("Open your company's ledger or create a new one."))
        intro.setObjectName("hintLabel")
        titles = QVBoxLayout()
        titles.addWidget(heading)
        titles.addWidget(intro)
        top = QHBoxLayout()
        top.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        top.addSpacing(8)
        top.addLayout(titles, 1)

        recent_label = QLabel(_("Recent ledgers"))
        recent_label.setObjectName("sectionLabel")
        self.recent_list = QListWidget()
        self.recent_list.setObjectName("recentList")
        self.recent_list.setIconSize(QSize(20, 20))
        for path in recent:
            self._add_recent(path)
        self.empty_label = QLabel(_("No recent ledgers yet. Create a new ledger or open an existing file."))
        self.empty_label.setObjectName("hintLabel")
        self.empty_label.setWordWrap(True)
        self.empty_label.setVisible(not recent)
        self.recent_list.setVisible(bool(recent))

        self.new_button = QPushButton(_("New ledger…"))
        self.open_file_button = QPushButton(_("Open file…"))
        self.server_button = QPushButton(_("Connect to server…"))
        self.open_button = QPushButton(_("Open ledger"))
        self.open_button.setDefault(True)
        self.quit_button = QPushButton(_("Quit"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.open_file_button)
        buttons.addWidget(self.server_button)
        buttons.addStretch(1)
        buttons.addWidget(self.quit_button)
        buttons.addWidget(self.open_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.addLayout(top)
        layout.addSpacing(12)
        layout.addWidget(recent_label)
        layout.addWidget(self.recent_list, 1)
        layout.addWidget(self.empty_label)
        layout.addStretch(0 if recent else 1)
        layout.addLayout(buttons)
        self.resize(620, 420)

        self.new_button.clicked.connect(self.new_requested)
        self.open_file_button.clicked.connect(self._on_open_file_button_clicked)
        self.server_button.clicked.connect(self.server_requested)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.quit_button.clicked.connect(self.reject)
        self.recent_list.itemActivated.connect(self._on_recent_list_item_activated)
        self.recent_list.currentRowChanged.connect(self._on_recent_list_current_row_changed)
        if recent:
            self.recent_list.setCurrentRow(0)
        self._on_recent_list_current_row_changed(self.recent_list.currentRow())

    def _add_recent(self, path: Path) -> None:
        exists = path.is_file()
        text = f"{path.name}\n{path.parent}" if exists else f"{path.name}\n" + _("missing: {path}").format(path=path)
        item = QListWidgetItem(icon("bank"), text)
        item.setData(PathRole, str(path))
        item.setToolTip(str(path))
        if not exists:
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
        self.recent_list.addItem(item)

    def selected_path(self) -> Path | None:
        item = self.recent_list.currentItem()
        if item is None or not item.flags() & Qt.ItemFlag.ItemIsEnabled:
            return None
        return Path(item.data(PathRole))

    def _on_recent_list_current_row_changed(self, _row: int) -> None:
        self.open_button.setEnabled(self.selected_path() is not None)

    def _on_recent_list_item_activated(self, _item: QListWidgetItem) -> None:
        self._on_open_button_clicked()

    def _on_open_button_clicked(self) -> None:
        path = self.selected_path()
        if path is not None:
            self.open_requested.emit(path)

    def _on_open_file_button_clicked(self) -> None:
        path = choose_ledger_file(self)
        if path is not None:
            self.open_requested.emit(path)


def choose_ledger_file(parent: QWidget | None) -> Path | None:
    """The Open… file dialog, shared by the start dialog and File › Open…."""
    chosen, _filter = QFileDialog.getOpenFileName(
        parent, _("Open ledger"), "", _("Kontor ledgers (*.kontor);;All files (*)")
    )
    return Path(chosen) if chosen else None
