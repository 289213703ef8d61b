"""Help › Demo phone: what the demo bank's simulated phone shows (SMS TANs, app approvals), so no device is needed."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.demobank import DemoBank
from app.services.i18n import _

REFRESH_MS = 1000


class DemoPhoneDialog(QDialog):
    """Polls the in-process demo bank's inbox; approving or denying answers a decoupled TAN like the app would."""

    def __init__(self, bank: DemoBank, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Demo phone"))
        self.setMinimumSize(420, 260)
        self._bank = bank
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.empty_label = QLabel(_("No messages. A TAN or app approval appears here when the bank asks for one."))
        self.empty_label.setWordWrap(True)
        self.approve_button = QPushButton(_("Approve"))
        self.deny_button = QPushButton(_("Deny"))
        self.approve_button.clicked.connect(lambda: self._decide(approved=True))
        self.deny_button.clicked.connect(lambda: self._decide(approved=False))
        row = QHBoxLayout()
        row.addWidget(self.approve_button)
        row.addWidget(self.deny_button)
        row.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.list)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.list.currentRowChanged.connect(self._update_buttons)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(REFRESH_MS)
        self.refresh()

    def refresh(self) -> None:
        current = self.list.currentItem()
        selected = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        self.list.clear()
        for message in self._bank.pending_tans():
            self.list.addItem(message.text)
            item = self.list.item(self.list.count() - 1)
            item.setData(Qt.ItemDataRole.UserRole, (message.reference, message.kind))
            if selected is not None and selected[0] == message.reference:
                self.list.setCurrentItem(item)
        self.empty_label.setVisible(self.list.count() == 0)
        self._update_buttons()

    def _update_buttons(self) -> None:
        item = self.list.currentItem()
        decoupled = item is not None and item.data(Qt.ItemDataRole.UserRole)[1] == "decoupled"
        self.approve_button.setEnabled(decoupled)
        self.deny_button.setEnabled(decoupled)

    def _decide(self, *, approved: bool) -> None:
        if self.list.currentRow() < 0:
            return
        item = self.list.currentItem()
        reference = item.data(Qt.ItemDataRole.UserRole)[0]
        try:
            (self._bank.approve if approved else self._bank.deny)(reference)
        except KeyError:  # decided or expired meanwhile
            pass
        self.refresh()
