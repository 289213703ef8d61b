"""Asks for a ledger's passphrase and opens it off the GUI thread; a wrong passphrase is shown inline."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.services.i18n import _
from app.views.errors import present_error
from app.views.first_paint import after_first_paint
from app.views.jobs import JobRunner, Progress
from app.views.passphrase_widgets import error_label, password_edit, show_error
from app.views.resources import icon

if TYPE_CHECKING:
    from app.services.ledger.database import Ledger

# The ledger's database stack and the keyring are imported by the functions that use them, off the first paint:
# the dialog is on screen before SQLAlchemy, SQLCipher and the keyring are loaded (tests/views/test_first_paint.py).

log = logging.getLogger(__name__)


@dataclass
class UnlockedLedger:
    """An open ledger with the passphrase that opened it (backups are encrypted with it); a server ledger has none,
    but its URL."""

    ledger: Ledger
    passphrase: str
    company_name: str
    server_url: str = ""

    @property
    def path(self) -> Path:
        return self.ledger.path


def remember_if_wanted(path: Path, passphrase: str, *, remember: bool) -> None:
    """Store in the OS keyring when asked; a keyring failure must not stop the ledger from opening. Blocks."""
    if not remember:
        return
    from app.services.ledger import secrets

    try:
        secrets.remember_passphrase(path, passphrase)
    except Exception as error:  # keyring back ends raise many kinds of errors
        log.warning("could not remember the passphrase for %s: %s", path, error)


def open_ledger(path: Path, passphrase: str, *, remember: bool = False) -> UnlockedLedger:
    """Unlock (KDF, maybe a migration) and optionally remember. Blocks; call from a worker."""
    from app.services.ledger.database import Ledger

    ledger = Ledger.open(path, passphrase)
    try:
        company_name = ledger.company_name()
    except BaseException:
        ledger.close()
        raise
    remember_if_wanted(path, passphrase, remember=remember)
    return UnlockedLedger(ledger, passphrase, company_name)


def _keyring_usable(cancel: threading.Event, progress: Progress) -> bool:
    from app.services.ledger import secrets

    return secrets.keyring_usable()


def keyring_checkbox(runner: JobRunner) -> QCheckBox:
    """ "Remember on this computer", disabled with the reason when there is no OS keyring.

    The keyring is asked on a worker once the box is on screen (loading it and finding its backend takes a while):
    the box is disabled until the answer is in, so the dialog paints at once.
    """
    box = QCheckBox(_("Remember on this computer"))
    box.setEnabled(False)

    def show(usable: bool) -> None:
        box.setEnabled(usable)
        if usable:
            box.setToolTip(_("Keeps the passphrase in the operating system's keyring, so Kontor opens without asking."))
        else:
            box.setText(_("Remember on this computer (no OS keyring available)"))
            window = box.window()  # the longer text arrives after the dialog was laid out
            layout = window.layout()
            if layout is not None:
                layout.activate()
            window.adjustSize()

    def ask_keyring() -> None:
        runner.run(_keyring_usable, on_success=show, on_failure=lambda _error: show(False), parent=box)

    after_first_paint(box, ask_keyring)
    return box


def _make_selectable(label: QLabel) -> None:
    """After the dialog is on screen: PySide6 creates all 97 enums of the `Qt` namespace when it is first imported
    (10 ms), and its first enum-to-flags conversion costs another 15 ms."""
    from PySide6.QtCore import Qt

    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)


class UnlockDialog(QDialog):
    """Never retries on its own: each attempt is one click, and a failure leaves the dialog open."""

    unlocked = Signal(object)  # UnlockedLedger

    def __init__(
        self,
        path: Path,
        *,
        runner: JobRunner,
        parent: QWidget | None = None,
        notice: str = "",
        opening: bool = False,
    ) -> None:
        """With `opening`, the dialog shows that the ledger is being opened with a saved passphrase; `ask` (or a
        success elsewhere) ends that."""
        super().__init__(parent)
        self.path = Path(path)
        self._runner = runner
        self._busy = False
        self.setWindowTitle(_("Unlock ledger"))
        self.setWindowIcon(icon("lock"))

        heading = QLabel(_("Unlock {name}").format(name=self.path.name))
        heading.setObjectName("dialogHeading")
        where = QLabel(str(self.path.parent))
        where.setObjectName("hintLabel")
        after_first_paint(where, lambda: _make_selectable(where))

        self.passphrase_edit = password_edit()
        self.remember_check = keyring_checkbox(runner)
        self.error_label = error_label()
        self.status_label = QLabel()
        self.status_label.setObjectName("hintLabel")
        self.status_label.hide()

        form = QFormLayout()
        form.addRow(_("Passphrase:"), self.passphrase_edit)
        form.addRow("", self.remember_check)

        # Set after construction: the constructor taking buttons makes PySide6 create the `Qt` namespace's 96 enums
        # while resolving its overloads (13 ms of the first paint).
        self.buttons = QDialogButtonBox()
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Unlock"))
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(where)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        show_error(self.error_label, notice)
        if opening:
            self._set_busy(True)

    @property
    def busy(self) -> bool:
        return self._busy

    def ask(self, notice: str = "") -> None:
        """Ask for the passphrase after all (the saved one was missing or wrong), with `notice` saying why."""
        self._set_busy(False)
        show_error(self.error_label, notice)
        self.passphrase_edit.setFocus()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (self.passphrase_edit, self.buttons):
            widget.setEnabled(not busy)
        self.status_label.setText(_("Opening the ledger…") if busy else "")
        self.status_label.setVisible(busy)

    def _on_buttons_accepted(self) -> None:
        passphrase = self.passphrase_edit.text()
        if not passphrase:
            show_error(self.error_label, _("Please enter the passphrase."))
            return
        show_error(self.error_label, "")
        self._set_busy(True)
        remember = self.remember_check.isChecked()
        path = self.path

        def unlock(cancel: threading.Event, progress: Progress) -> UnlockedLedger:
            return open_ledger(path, passphrase, remember=remember)

        self._runner.run(unlock, on_success=self._on_unlock_succeeded, on_failure=self._on_unlock_failed)

    def _on_unlock_succeeded(self, unlocked: UnlockedLedger) -> None:
        self._set_busy(False)
        self.unlocked.emit(unlocked)
        self.accept()

    def _on_unlock_failed(self, error: BaseException) -> None:
        from app.services.ledger.database import LedgerError, WrongPassphraseError

        self._set_busy(False)
        if isinstance(error, WrongPassphraseError):
            show_error(self.error_label, _("Wrong passphrase or not a Kontor ledger."))
            self.passphrase_edit.selectAll()
            self.passphrase_edit.setFocus()
        elif isinstance(error, LedgerError):
            show_error(self.error_label, str(error))
        else:
            present_error(error, parent=self)

    def reject(self) -> None:
        """Cancel is refused while a ledger is being opened, so an opened ledger is never left behind."""
        if not self._busy:
            super().reject()
