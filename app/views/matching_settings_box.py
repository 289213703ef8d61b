"""The reconciliation settings card on the Settings page: patterns, fields, threshold, tolerance, Skonto."""

from __future__ import annotations

import threading

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.services.i18n import N_, _
from app.services.ledger.database import Ledger
from app.services.ledger.users import current_actor
from app.services.matching.config import MatchConfig
from app.services.reconciliation.engine_input import detected_patterns, load_config, save_config
from app.services.reconciliation.settings import MatchingForm, SettingsInputError, apply_form, form_of
from app.views.jobs import JobRunner, Progress
from app.views.passphrase_widgets import error_label, show_error

FIELD_LABELS = {
    "purpose": N_("purpose"),
    "end_to_end_id": N_("end-to-end reference"),
    "counterparty_name": N_("payer name"),
}


class MatchingSettingsBox(QFrame):
    """Loads in a job, saves in a writing job; input errors are shown in the card, nothing half-saved."""

    saved = Signal()

    def __init__(self, ledger: Ledger, *, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self._ledger = ledger
        self._runner = runner
        self._config: MatchConfig | None = None

        self.patterns_edit = QPlainTextEdit()
        self.patterns_edit.setFixedHeight(70)
        self.field_boxes = {name: QCheckBox(_(label)) for name, label in FIELD_LABELS.items()}
        self.threshold_spin = self._percent_spin(50, 100)
        self.margin_spin = self._percent_spin(0, 50)
        self.tolerance_edit = QLineEdit()
        self.tolerance_edit.setMaximumWidth(120)
        self.skonto_edit = QLineEdit()
        self.skonto_edit.setPlaceholderText(_("e.g. 2/14; 3/7"))
        self.multiple_hits_box = QCheckBox(_("Partial payments and instalments (several payments per invoice)"))
        self.save_button = QPushButton(_("Save"))
        self.status_label = QLabel()
        self.status_label.setObjectName("hintLabel")
        self.error_label = error_label()

        fields_row = QHBoxLayout()
        for box in self.field_boxes.values():
            fields_row.addWidget(box)
        fields_row.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.save_button)

        form = QFormLayout(self)
        title = QLabel(_("Reconciliation"))
        title.setObjectName("sectionLabel")
        form.addRow(title)
        form.addRow(_("Invoice number patterns:"), self.patterns_edit)
        form.addRow(_("Search numbers in:"), fields_row)
        form.addRow(_("Assign automatically from:"), self.threshold_spin)
        form.addRow(_("Lead over the next candidate:"), self.margin_spin)
        form.addRow(_("Accepted shortfall (bank fees):"), self.tolerance_edit)
        form.addRow(_("Skonto (percent/days):"), self.skonto_edit)
        form.addRow("", self.multiple_hits_box)
        form.addRow(self.error_label)
        form.addRow(buttons)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.setEnabled(False)
        self.reload()

    @staticmethod
    def _percent_spin(low: int, high: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setSuffix(" %")
        spin.setMaximumWidth(100)
        return spin

    def reload(self) -> None:
        ledger = self._ledger

        def read(cancel: threading.Event, progress: Progress) -> tuple[MatchConfig, list[str]]:
            return load_config(ledger), detected_patterns(ledger)

        self._runner.run(read, on_success=self._on_loaded, parent=self)

    def _on_loaded(self, loaded: tuple[MatchConfig, list[str]]) -> None:
        self._config, detected = loaded
        form = form_of(self._config)
        self.patterns_edit.setPlainText(form.patterns)
        self.patterns_edit.setPlaceholderText(
            _("Empty: detected from your invoices, currently:") + "\n" + "\n".join(detected)
        )
        for name, box in self.field_boxes.items():
            box.setChecked(name in form.search_fields)
        self.threshold_spin.setValue(form.threshold_percent)
        self.margin_spin.setValue(form.margin_percent)
        self.tolerance_edit.setText(form.tolerance)
        self.skonto_edit.setText(form.skonto)
        self.multiple_hits_box.setChecked(form.multiple_hits)
        self.setEnabled(True)

    def current_form(self) -> MatchingForm:
        return MatchingForm(
            patterns=self.patterns_edit.toPlainText(),
            search_fields=tuple(name for name, box in self.field_boxes.items() if box.isChecked()),
            threshold_percent=self.threshold_spin.value(),
            margin_percent=self.margin_spin.value(),
            tolerance=self.tolerance_edit.text(),
            skonto=self.skonto_edit.text(),
            multiple_hits=self.multiple_hits_box.isChecked(),
        )

    def _on_save_button_clicked(self) -> None:
        assert self._config is not None
        show_error(self.error_label, "")
        try:
            config = apply_form(self._config, self.current_form())
        except SettingsInputError as error:
            show_error(self.error_label, str(error))
            return
        ledger, actor = self._ledger, current_actor()

        def save(cancel: threading.Event, progress: Progress) -> MatchConfig:
            save_config(ledger, config, actor=actor)
            return config

        self.save_button.setEnabled(False)
        self._runner.run(save, on_success=self._on_saved, on_failure=self._on_save_failed, writes=True, parent=self)

    def _on_saved(self, config: MatchConfig) -> None:
        self._config = config
        self.save_button.setEnabled(True)
        self.status_label.setText(_("Saved. The next matching run uses these settings."))
        self.saved.emit()

    def _on_save_failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        show_error(self.error_label, str(error))
