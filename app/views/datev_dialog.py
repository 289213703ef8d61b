"""File › Export for the tax advisor (DATEV): the period, the consultant and client numbers and the chart, then
the file. The numbers are kept in the ledger, so the next month needs only the period."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.services.i18n import _, current_language
from app.services.ledger.database import Ledger
from app.services.ledger.users import current_actor
from app.services.reports.datev import CHARTS, DatevExport, DatevSettings, export_datev, update_settings
from app.views.errors import present_error
from app.views.jobs import JobRunner
from app.views.passphrase_widgets import error_label


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class DatevDialog(QDialog):
    exported = Signal(object)  # DatevExport

    def __init__(self, ledger: Ledger, settings: DatevSettings, *, runner: JobRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(_("Export for the tax advisor (DATEV)"))
        self.setMinimumWidth(440)
        self._ledger, self._runner = ledger, runner
        last = date.today().replace(day=1) - timedelta(days=1)
        pattern = "dd.MM.yyyy" if current_language() == "de" else "yyyy-MM-dd"
        self.from_edit, self.to_edit = QDateEdit(_qdate(last.replace(day=1))), QDateEdit(_qdate(last))
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat(pattern)
        self.consultant_spin = QSpinBox()
        self.consultant_spin.setRange(0, 9999999)
        self.consultant_spin.setValue(settings.consultant)
        self.client_spin = QSpinBox()
        self.client_spin.setRange(0, 99999)
        self.client_spin.setValue(settings.client)
        self.chart_combo = QComboBox()
        self.chart_combo.addItems(sorted(CHARTS))
        self.chart_combo.setCurrentText(settings.chart)
        form = QFormLayout()
        form.addRow(_("From:"), self.from_edit)
        form.addRow(_("To:"), self.to_edit)
        form.addRow(_("Consultant number:"), self.consultant_spin)
        form.addRow(_("Client number:"), self.client_spin)
        form.addRow(_("Chart of accounts:"), self.chart_combo)
        self.error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def choose_file(self) -> Path | None:
        name = f"EXTF_Buchungsstapel_{_day(self.from_edit.date()):%Y%m}.csv"
        chosen, _filter = QFileDialog.getSaveFileName(self, _("Save DATEV file"), name, _("CSV files (*.csv)"))
        return Path(chosen) if chosen else None

    def _on_buttons_accepted(self) -> None:
        path = self.choose_file()
        if path is None:
            return
        ledger, actor = self._ledger, current_actor()
        start, end = _day(self.from_edit.date()), _day(self.to_edit.date())
        numbers = {"consultant": self.consultant_spin.value(), "client": self.client_spin.value(),
                   "chart": self.chart_combo.currentText()}  # fmt: skip

        def run(cancel: threading.Event, progress: Callable[[int, int], None]) -> DatevExport:
            update_settings(ledger, actor=actor, **numbers)
            return export_datev(ledger, path, start=start, end=end, actor=actor)

        self.buttons.setEnabled(False)
        self._runner.run(run, on_success=self._on_exported, on_failure=self._on_failed, writes=True, parent=self)

    def _on_exported(self, done: DatevExport) -> None:
        self.buttons.setEnabled(True)
        self.exported.emit(done)
        self.accept()

    def _on_failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        present_error(error, parent=self)
