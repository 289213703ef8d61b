"""Company name (kept in the ledger, audited), the UI language (a per-user preference), reconciliation, users."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.services.i18n import _
from app.services.ledger.company import rename_company
from app.services.ledger.users import current_actor
from app.services.preferences import save_preferences
from app.views.errors import is_user_error, present_error
from app.views.jobs import Progress
from app.views.matching_settings_box import MatchingSettingsBox
from app.views.pages import PageContext
from app.views.passphrase_widgets import error_label, show_error
from app.views.users_box import UsersBox

LANGUAGES = (("de", "Deutsch"), ("en", "English"))  # each language named in itself, never translated


class SettingsPage(QWidget):
    """Saving the name is a ledger write (one writer at a time); the language only takes effect at next start."""

    company_renamed = Signal(str)

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        heading = QLabel(_("Settings"))
        heading.setObjectName("pageHeading")

        company_box = QFrame()
        company_box.setObjectName("card")
        self.company_edit = QLineEdit(context.unlocked.company_name)
        self.company_edit.setMaxLength(200)
        self.save_button = QPushButton(_("Save"))
        self.company_status = QLabel()
        self.company_status.setObjectName("hintLabel")
        self.company_error = error_label()
        self.company_status.hide()
        name_row = QHBoxLayout()
        name_row.addWidget(self.company_edit, 1)
        name_row.addWidget(self.save_button)
        name_field = QVBoxLayout()
        name_field.addLayout(name_row)
        name_field.addWidget(self.company_status)
        name_field.addWidget(self.company_error)
        ledger_path = QLabel(str(context.unlocked.path))
        ledger_path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        ledger_path.setObjectName("hintLabel")
        ledger_path.setToolTip(str(context.unlocked.path))
        ledger_path.setSizePolicy(
            QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
        )  # long paths never widen the window
        company_form = QFormLayout(company_box)
        company_form.addRow(self._section(_("Company")))
        company_form.addRow(_("Company name:"), name_field)
        company_form.addRow(_("Ledger file:"), ledger_path)

        language_box = QFrame()
        language_box.setObjectName("card")
        self.language_combo = QComboBox()
        for code, name in LANGUAGES:
            self.language_combo.addItem(name, code)
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(context.preferences.language)))
        self.language_note = QLabel(_("The new language is used from the next start of Kontor."))
        self.language_note.setObjectName("hintLabel")
        language_form = QFormLayout(language_box)
        language_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        language_form.addRow(self._section(_("Language")))
        language_form.addRow(_("Language:"), self.language_combo)
        language_form.addRow("", self.language_note)

        content = QWidget()
        scroll = QScrollArea()  # the cards are taller than a small window; they scroll, the window does not grow
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(28, 20, 28, 20)
        layout.setSpacing(12)
        layout.addWidget(heading)
        layout.addWidget(company_box)
        layout.addWidget(language_box)
        self.matching_box = MatchingSettingsBox(context.unlocked.ledger, runner=context.runner)
        layout.addWidget(self.matching_box)
        self.users_box = UsersBox(context.unlocked.ledger, runner=context.runner, identity=context.identity)
        layout.addWidget(self.users_box)
        layout.addStretch(1)
        for box in (company_box, language_box, self.matching_box, self.users_box):
            box.setMaximumWidth(720)

        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.company_edit.returnPressed.connect(self._on_save_button_clicked)
        self.language_combo.currentIndexChanged.connect(self._on_language_combo_current_index_changed)

    @staticmethod
    def _section(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("sectionLabel")
        return label

    def _on_save_button_clicked(self) -> None:
        name = self.company_edit.text()
        ledger = self._context.unlocked.ledger
        actor = current_actor()

        def rename(cancel: threading.Event, progress: Progress) -> str:
            return rename_company(ledger, name, actor=actor)

        show_error(self.company_error, "")
        self.company_status.hide()
        self.save_button.setEnabled(False)
        self._context.runner.run(
            rename, on_success=self._on_rename_succeeded, on_failure=self._on_rename_failed, writes=True, parent=self
        )

    def _on_rename_succeeded(self, name: str) -> None:
        self.save_button.setEnabled(True)
        self.company_edit.setText(name)
        self.company_status.setText(_("Saved."))
        self.company_status.show()
        self.company_renamed.emit(name)

    def _on_rename_failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if is_user_error(error):
            show_error(self.company_error, str(error))
        else:
            present_error(error, parent=self)

    def _on_language_combo_current_index_changed(self, _index: int) -> None:
        code = self.language_combo.currentData()
        preferences = self._context.preferences
        if code == preferences.language:
            return
        preferences.language = code
        save_preferences(preferences)
        self.language_note.setText(_("Saved. The new language is used from the next start of Kontor."))
