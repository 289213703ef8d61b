"""Connect to a ledger on a PostgreSQL server: its URL and, unless ~/.pgpass or the keyring has it, the password."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.services.i18n import _
from app.views.errors import present_error
from app.views.jobs import JobRunner, Progress
from app.views.passphrase_widgets import error_label, password_edit, show_error
from app.views.resources import icon
from app.views.unlock_dialog import UnlockedLedger, keyring_checkbox

SERVER_URL_EXAMPLE = "postgresql://anna@db.firma.example/kontor"


def connect_ledger(url: str, password: str, *, remember: bool) -> UnlockedLedger:
    """Open the server ledger; a typed password is used only if the server asks for one. Blocks; call from a worker."""
    from app.services.ledger.server import open_server

    ledger = open_server(url, ask=lambda _url: password or None, remember=remember)
    try:
        company_name = ledger.company_name()
    except BaseException:
        ledger.close()
        raise
    return UnlockedLedger(ledger, "", company_name, server_url=ledger.address.url)


class ServerDialog(QDialog):
    """Like the unlock dialog: one attempt per click, a failure shown inline, the ledger opened off the GUI thread."""

    unlocked = Signal(object)  # UnlockedLedger

    def __init__(self, *, runner: JobRunner, url: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._busy = False
        self.setWindowTitle(_("Connect to server"))
        self.setWindowIcon(icon("bank"))
        heading = QLabel(_("Connect to a ledger on a PostgreSQL server"))
        heading.setObjectName("dialogHeading")
        hint = QLabel(
            _(
                "Several workstations can work on a server ledger at once. Leave the password empty if "
                "~/.pgpass or the keyring has it."
            )
        )
        hint.setObjectName("hintLabel")
        hint.setWordWrap(True)
        self.url_edit = QLineEdit(url)
        self.url_edit.setPlaceholderText(SERVER_URL_EXAMPLE)
        self.url_edit.setMinimumWidth(380)
        self.password_edit = password_edit()
        self.remember_check = keyring_checkbox(runner)
        self.error_label = error_label()
        self.status_label = QLabel()
        self.status_label.setObjectName("hintLabel")
        self.status_label.hide()

        form = QFormLayout()
        form.addRow(_("Server URL:"), self.url_edit)
        form.addRow(_("Password:"), self.password_edit)
        form.addRow("", self.remember_check)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Connect"))
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        (self.password_edit if url else self.url_edit).setFocus(Qt.FocusReason.OtherFocusReason)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (self.url_edit, self.password_edit, self.buttons):
            widget.setEnabled(not busy)
        self.status_label.setText(_("Connecting…") if busy else "")
        self.status_label.setVisible(busy)

    def _on_buttons_accepted(self) -> None:
        url = self.url_edit.text().strip()
        if not url:
            show_error(self.error_label, _("Please enter the server's URL, such as {example}.").format(
                example=SERVER_URL_EXAMPLE
            ))  # fmt: skip
            return
        show_error(self.error_label, "")
        self._set_busy(True)
        password, remember = self.password_edit.text(), self.remember_check.isChecked()

        def connect(cancel: threading.Event, progress: Progress) -> UnlockedLedger:
            return connect_ledger(url, password, remember=remember)

        self._runner.run(connect, on_success=self._on_connect_succeeded, on_failure=self._on_connect_failed)

    def _on_connect_succeeded(self, unlocked: UnlockedLedger) -> None:
        self._set_busy(False)
        self.unlocked.emit(unlocked)
        self.accept()

    def _on_connect_failed(self, error: BaseException) -> None:
        from app.services.ledger.database import LedgerError

        self._set_busy(False)
        if isinstance(error, LedgerError):
            show_error(self.error_label, str(error))
            self.password_edit.selectAll()
        else:
            present_error(error, parent=self)

    def reject(self) -> None:
        """Cancel is refused while connecting, so an opened ledger is never left behind."""
        if not self._busy:
            super().reject()
