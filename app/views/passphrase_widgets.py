"""Form rows shared by the dialogs that set a passphrase: two password fields and a live strength hint."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from app.services.i18n import _
from app.services.ledger.passphrases import Strength, rate_passphrase
from app.views.tone import Tone, set_tone

STRENGTH_TONES: dict[Strength, Tone] = {
    Strength.TOO_SHORT: "error",
    Strength.WEAK: "error",
    Strength.FAIR: "caution",
    Strength.STRONG: "ok",
}


def password_edit(placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setPlaceholderText(placeholder)
    edit.setMinimumWidth(280)
    return edit


def error_label() -> QLabel:
    """The inline error line of a dialog: hidden until there is something to say."""
    label = QLabel()
    label.setObjectName("errorLabel")
    label.setWordWrap(True)
    label.hide()
    return label


def show_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


class NewPassphraseFields:
    """Adds "passphrase", "repeat" and a strength hint to a form; `problem()` says what is still wrong."""

    def __init__(self, form: QFormLayout, *, label: str = "") -> None:
        self.passphrase_edit = password_edit(_("at least 8 characters; several words are best"))
        self.repeat_edit = password_edit()
        self.strength_label = QLabel()
        form.addRow(label or _("Passphrase:"), self.passphrase_edit)
        form.addRow(_("Repeat:"), self.repeat_edit)
        form.addRow("", self.strength_label)
        self.passphrase_edit.textChanged.connect(self._on_passphrase_edit_text_changed)
        self._on_passphrase_edit_text_changed("")

    def _on_passphrase_edit_text_changed(self, text: str) -> None:
        if not text:
            self.strength_label.setText(_("The passphrase cannot be recovered if you forget it."))
            set_tone(self.strength_label, "hint")
            return
        rating = rate_passphrase(text)
        self.strength_label.setText(rating.hint)
        set_tone(self.strength_label, STRENGTH_TONES[rating.strength])

    def passphrase(self) -> str:
        return self.passphrase_edit.text()

    def problem(self) -> str:
        """Empty when the two entries may be used; otherwise the message to show."""
        if not self.passphrase_edit.text():
            return _("Please enter a passphrase.")
        if self.passphrase_edit.text() != self.repeat_edit.text():
            return _("The two passphrases differ.")
        return ""

    def widgets(self) -> tuple[QWidget, ...]:
        return (self.passphrase_edit, self.repeat_edit)
