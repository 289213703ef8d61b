"""Collects the old passphrase (checked) and a new one twice; the re-encryption itself runs as a job."""

from __future__ import annotations

import hmac

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from app.services.i18n import _
from app.views.passphrase_widgets import NewPassphraseFields, error_label, password_edit, show_error


class ChangePassphraseDialog(QDialog):
    """Accepts only when the old passphrase is the one the ledger was unlocked with and the new one is valid."""

    def __init__(self, *, current_passphrase: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._current = current_passphrase
        self.setWindowTitle(_("Change passphrase"))

        intro = QLabel(
            _("The whole ledger is re-encrypted with the new passphrase. Older backups keep their old passphrase.")
        )
        intro.setObjectName("hintLabel")
        intro.setWordWrap(True)
        self.old_edit = password_edit()
        form = QFormLayout()
        form.addRow(_("Current passphrase:"), self.old_edit)
        self.new = NewPassphraseFields(form, label=_("New passphrase:"))
        self.error_label = error_label()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Change passphrase"))
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(500)

    def new_passphrase(self) -> str:
        return self.new.passphrase()

    def _on_buttons_accepted(self) -> None:
        if not hmac.compare_digest(self.old_edit.text().encode(), self._current.encode()):
            show_error(self.error_label, _("The current passphrase is not correct."))
            return
        problem = self.new.problem()
        if not problem and self.new.passphrase() == self._current:
            problem = _("The new passphrase is the same as the current one.")
        show_error(self.error_label, problem)
        if not problem:
            self.accept()
