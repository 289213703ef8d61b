"""What an import did, file by file, and a way to import files that named no account into a chosen one, or CSV
files whose columns were unclear with the columns the user corrected."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.i18n import _, ngettext
from app.services.reconciliation.overview import Outcome
from app.services.statements.importing import ImportResult
from app.views.csv_mapping_dialog import CsvMappingDialog, open_mapping_dialog


class ImportResultsDialog(QDialog):
    """A small table (one row per file), the warnings and errors in full, and the account choice if needed."""

    account_chosen = Signal(object, str)  # paths that need an account, the chosen IBAN
    mapping_chosen = Signal(object, str)  # a CSV whose columns were unclear, the --map spec the user confirmed

    def __init__(
        self,
        results: Sequence[ImportResult],
        *,
        paths: Sequence[Path],
        account_ibans: Sequence[str],
        outcome: Outcome | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Import finished"))
        self.resize(760, 420)
        self.results = list(results)
        by_name = {path.name: path for path in paths}
        self.needing_account = [by_name[r.source] for r in results if r.needs_account and r.source in by_name]
        self.needing_mapping = [
            (by_name[r.source], r.mapping_guess) for r in results if r.mapping_guess and r.source in by_name
        ]

        new = sum(r.new for r in results)
        skipped = sum(r.duplicates for r in results)
        failed = sum(1 for r in results if not r.ok)
        summary = ngettext("{n} new transaction", "{n} new transactions", new).format(n=new)
        summary += " · " + ngettext("{n} duplicate skipped", "{n} duplicates skipped", skipped).format(n=skipped)
        if failed:
            summary += " · " + ngettext("{n} file not imported", "{n} files not imported", failed).format(n=failed)
        if outcome is not None and outcome.new:
            summary += "\n" + _("What happened to the money: {outcome}").format(outcome=outcome.text())
        self.summary_label = QLabel(summary)
        self.summary_label.setObjectName("importSummary")

        self.table = QTableWidget(len(results), 5)
        self.table.setHorizontalHeaderLabels([_("File"), _("Result"), _("New"), _("Duplicates"), _("Warnings")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for row, result in enumerate(results):
            status = _("imported") if result.ok else _("not imported")
            cells = [result.source, status, str(result.new), str(result.duplicates), str(len(result.warnings))]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if column == 1 and not result.ok:
                    item.setForeground(QColor("#b3261e"))
                self.table.setItem(row, column, item)

        details = [f"✗ {r.error}" for r in results if r.error]
        details += [f"⚠ {warning}" for r in results for warning in r.warnings]
        details += [f"· {note}" for r in results for note in r.notes]
        self.details = QPlainTextEdit("\n".join(details) or _("No warnings."))
        self.details.setReadOnly(True)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel(_("Warnings and errors")))
        layout.addWidget(self.details, 1)
        self.account_combo: QComboBox | None = None
        if self.needing_account:
            layout.addLayout(self._account_row(account_ibans))
        self.mapping_buttons: list[QPushButton] = []
        self.mapping_dialog: CsvMappingDialog | None = None
        for path, _guess in self.needing_mapping:
            layout.addLayout(self._mapping_row(path))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _account_row(self, account_ibans: Sequence[str]) -> QHBoxLayout:
        row = QHBoxLayout()
        self.account_combo = QComboBox()
        self.account_combo.setEditable(True)
        self.account_combo.addItems(list(account_ibans))
        self.account_combo.setMinimumWidth(260)
        line = self.account_combo.lineEdit()
        if line is not None:
            line.setPlaceholderText(_("IBAN of the account"))
        import_button = QPushButton(_("Import into this account"))
        import_button.clicked.connect(self._on_import_button_clicked)
        count = len(self.needing_account)
        row.addWidget(
            QLabel(ngettext("{n} file names no account:", "{n} files name no account:", count).format(n=count))
        )
        row.addWidget(self.account_combo, 1)
        row.addWidget(import_button)
        return row

    def _mapping_row(self, path: Path) -> QHBoxLayout:
        """A CSV whose columns were unclear: the mapping dialog shows the file and asks for them."""
        row = QHBoxLayout()
        button = QPushButton(_("Choose columns…"))
        button.clicked.connect(lambda: self.choose_columns(path))
        self.mapping_buttons.append(button)
        label = QLabel(_("Kontor does not know the columns of {file}.").format(file=path.name))
        label.setWordWrap(True)
        row.addWidget(label, 1)
        row.addWidget(button)
        return row

    def choose_columns(self, path: Path) -> CsvMappingDialog:
        self.mapping_dialog = open_mapping_dialog(path, parent=self)
        self.mapping_dialog.mapping_chosen.connect(self._on_mapping_confirmed)
        return self.mapping_dialog

    def _on_mapping_confirmed(self, path: Path, spec: str) -> None:
        self.mapping_chosen.emit(path, spec)
        self.accept()

    def _on_import_button_clicked(self) -> None:
        assert self.account_combo is not None
        iban = self.account_combo.currentText().strip()
        if iban:
            self.account_chosen.emit(self.needing_account, iban)
            self.accept()
