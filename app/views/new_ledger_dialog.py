"""Creates a new encrypted ledger: company name, file location and passphrase, created off the GUI thread."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.i18n import _
from app.services.ledger.company import check_company_name, suggested_ledger_path
from app.services.ledger.database import LEDGER_SUFFIX, Ledger, LedgerError
from app.views.errors import is_user_error, present_error
from app.views.jobs import JobRunner, Progress
from app.views.passphrase_widgets import NewPassphraseFields, error_label, show_error
from app.views.resources import icon
from app.views.unlock_dialog import UnlockedLedger, keyring_checkbox, remember_if_wanted


def create_ledger(path: Path, passphrase: str, *, company_name: str, remember: bool) -> UnlockedLedger:
    """Create (KDF and schema) and optionally remember. Blocks; call from a worker."""
    ledger = Ledger.create(path, passphrase, company_name=company_name)
    remember_if_wanted(path, passphrase, remember=remember)
    return UnlockedLedger(ledger, passphrase, company_name)


class NewLedgerDialog(QDialog):
    """Stays open on a problem (existing file, passphrases differ) and says which field to fix."""

    created = Signal(object)  # UnlockedLedger

    def __init__(self, *, runner: JobRunner, directory: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._directory = directory
        self._busy = False
        self._location_edited = False
        self.setWindowTitle(_("New ledger"))
        self.setWindowIcon(icon("kontor"))

        heading = QLabel(_("Create a new ledger"))
        heading.setObjectName("dialogHeading")
        intro = QLabel(
            _("The ledger is one encrypted file that holds your company's accounts, transactions and invoices.")
        )
        intro.setObjectName("hintLabel")
        intro.setWordWrap(True)

        self.company_edit = QLineEdit()
        self.company_edit.setPlaceholderText(_("e.g. Muster GmbH"))
        self.location_edit = QLineEdit(str(suggested_ledger_path("", directory)))
        self.browse_button = QPushButton(_("Browse…"))
        location = QHBoxLayout()
        location.addWidget(self.location_edit, 1)
        location.addWidget(self.browse_button)

        form = QFormLayout()
        form.addRow(_("Company name:"), self.company_edit)
        form.addRow(_("File:"), location)
        self.passphrase = NewPassphraseFields(form)
        self.remember_check = keyring_checkbox(runner)
        form.addRow("", self.remember_check)

        self.error_label = error_label()
        self.status_label = QLabel()
        self.status_label.setObjectName("hintLabel")
        self.status_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Create"))

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

        self.company_edit.textEdited.connect(self._on_company_edit_text_edited)
        self.location_edit.textEdited.connect(self._on_location_edit_text_edited)
        self.browse_button.clicked.connect(self._on_browse_button_clicked)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)

    def _on_company_edit_text_edited(self, text: str) -> None:
        if not self._location_edited:
            self.location_edit.setText(str(suggested_ledger_path(text, self._directory)))

    def _on_location_edit_text_edited(self, _text: str) -> None:
        self._location_edited = True

    def _on_browse_button_clicked(self) -> None:
        chosen, _filter = QFileDialog.getSaveFileName(
            self, _("New ledger file"), self.location_edit.text(), _("Kontor ledgers (*.kontor)")
        )
        if chosen:
            self.location_edit.setText(chosen)
            self._location_edited = True

    def _target(self) -> Path | None:
        text = self.location_edit.text().strip()
        if not text:
            return None
        path = Path(text).expanduser()
        return path if path.suffix == LEDGER_SUFFIX else path.with_name(path.name + LEDGER_SUFFIX)

    def _problem(self) -> str:
        try:
            check_company_name(self.company_edit.text())
        except LedgerError as error:
            return str(error)
        target = self._target()
        if target is None:
            return _("File: please choose where to save the ledger.")
        if target.exists():
            return _("{path} exists already.").format(path=target)
        return self.passphrase.problem()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (
            self.company_edit,
            self.location_edit,
            self.browse_button,
            self.buttons,
            *self.passphrase.widgets(),
        ):
            widget.setEnabled(not busy)
        self.status_label.setText(_("Creating the ledger…") if busy else "")
        self.status_label.setVisible(busy)

    def _on_buttons_accepted(self) -> None:
        problem = self._problem()
        show_error(self.error_label, problem)
        if problem:
            return
        target = self._target()
        assert target is not None
        company = check_company_name(self.company_edit.text())
        passphrase = self.passphrase.passphrase()
        remember = self.remember_check.isChecked()

        def create(cancel: threading.Event, progress: Progress) -> UnlockedLedger:
            return create_ledger(target, passphrase, company_name=company, remember=remember)

        self._set_busy(True)
        self._runner.run(create, on_success=self._on_create_succeeded, on_failure=self._on_create_failed)

    def _on_create_succeeded(self, unlocked: UnlockedLedger) -> None:
        self._set_busy(False)
        self.created.emit(unlocked)
        self.accept()

    def _on_create_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        if is_user_error(error):
            show_error(self.error_label, str(error))
        else:
            present_error(error, parent=self)

    def reject(self) -> None:
        """Cancel is refused while the file is being created."""
        if not self._busy:
            super().reject()
