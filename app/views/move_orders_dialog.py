"""Where to move orders: into another open run of the same kind, or into a run of their own on another date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from app.services.formatting import format_amount, format_date
from app.services.i18n import _, ngettext
from app.services.payments.runs import RunRow
from app.views.date_fields import date_edit


class MoveOrdersDialog(QDialog):
    """Asks only; the page moves the orders in a job and shows the service's refusals (lead times, past days)."""

    def __init__(self, count: int, source: RunRow, runs: Sequence[RunRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Move orders"))
        self.setMinimumWidth(460)
        self.target_combo = QComboBox()
        self.target_combo.addItem(_("A run of their own on the date below"), None)
        for run in runs:
            if run.id == source.id or (run.kind, run.scheme, run.instant) != (
                source.kind,
                source.scheme,
                source.instant,
            ):
                continue
            self.target_combo.addItem(
                ngettext(
                    "Run {id}: {date}, {count} order, {total}", "Run {id}: {date}, {count} orders, {total}", run.count
                ).format(
                    id=run.id, date=format_date(run.execution_on), count=run.count, total=format_amount(run.total)
                ),
                run.id,
            )
        self.date_edit = date_edit(source.execution_on)
        self.target_combo.currentIndexChanged.connect(self._on_target_changed)
        form = QFormLayout()
        form.addRow(
            _("Orders:"),
            QLabel(ngettext("{n} order of run {run}", "{n} orders of run {run}", count).format(n=count, run=source.id)),
        )
        form.addRow(_("Move into:"), self.target_combo)
        form.addRow(_("Date:"), self.date_edit)
        note = QLabel(_("Both runs change: an approval of either is void and must be given again."))
        note.setObjectName("hintLabel")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def _on_target_changed(self) -> None:
        self.date_edit.setEnabled(self.target_combo.currentData() is None)

    def choice(self) -> tuple[int | None, date | None]:
        """(target run, None) or (None, the new run's date)."""
        target = self.target_combo.currentData()
        if target is not None:
            return int(target), None
        day = self.date_edit.date()
        return None, date(day.year(), day.month(), day.day())
