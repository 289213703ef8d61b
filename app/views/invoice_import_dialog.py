"""The invoice import wizard: a file and its side, a preview with the column mapping to correct, then the result.

Everything the wizard shows comes from `preview_invoices` (reads the file only) and `import_invoices` (a writing
job); the dialog just lets the user choose columns and reports back."""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.i18n import _, ngettext
from app.services.invoices.importing import (
    DATE_FORMATS,
    FIELD_LABELS,
    FIELDS,
    PAYABLE,
    RECEIVABLE,
    InvoiceImportError,
    InvoiceImportResult,
    InvoicePreview,
    preview_invoices,
    save_mapping,
    saved_mappings,
)
from app.services.ledger.database import Ledger
from app.services.ledger.users import current_actor
from app.services.reconciliation.import_and_match import MatchedInvoiceImport, import_invoices_and_match
from app.views.errors import is_user_error, present_error
from app.views.invoice_table_model import InvoicePreviewTableModel
from app.views.jobs import JobRunner
from app.views.tables import raw_text_view

REQUIRED = ("number", "customer", "amount", "issued_on")


def choose_invoice_file(parent: QWidget) -> Path | None:
    """The open dialog of the wizard's first step; a separate function so tests can answer it."""
    chosen, _filter = QFileDialog.getOpenFileName(
        parent, _("Choose an invoice list"), "", _("Invoice lists (*.csv *.txt);;All files (*)")
    )
    return Path(chosen) if chosen else None


def _error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("errorLabel")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


class InvoiceImportDialog(QDialog):
    """Three steps on one stack; `imported` carries the InvoiceImportResult after the ledger changed."""

    imported = Signal(object)
    previewed = Signal()  # a preview (or its error) is on screen
    failed = Signal(str)  # an import was refused; the message is shown inline

    def __init__(self, ledger: Ledger, *, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ledger = ledger
        self._runner = runner
        self._generation = 0
        self.preview: InvoicePreview | None = None
        self.outcome: InvoiceImportResult | None = None
        self._format_overrides: dict[str, str] = {}
        self.setWindowTitle(_("Import invoices"))
        self.setModal(True)
        self.resize(980, 680)
        self.steps = QStackedWidget()
        self.steps.addWidget(self._build_file_step())
        self.steps.addWidget(self._build_preview_step())
        self.steps.addWidget(self._build_result_step())

        self.back_button = QPushButton(_("< Back"))
        self.next_button = QPushButton(_("Preview >"))
        self.next_button.setDefault(True)
        self.close_button = QPushButton(_("Cancel"))
        self.back_button.clicked.connect(self._on_back_button_clicked)
        self.next_button.clicked.connect(self._on_next_button_clicked)
        self.close_button.clicked.connect(self.reject)
        self.disabled_reason = QLabel()  # why Preview or Import cannot be clicked now
        self.disabled_reason.setObjectName("hint")
        self.disabled_reason.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.disabled_reason, 1)
        for button in (self.back_button, self.next_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.steps, 1)
        layout.addLayout(buttons)
        self._show_step(0)
        self._load_saved_mappings()

    # -- step 1: file and side ---------------------------------------------------------------
    def _build_file_step(self) -> QWidget:
        page = QWidget()
        heading = QLabel(_("Which invoices do you want to import?"))
        heading.setObjectName("dialogHeading")
        hint = QLabel(
            _("Export the invoice list of your billing or accounting program as CSV. Kontor recognises the usual "
              "German and English column names; you can correct the assignment in the next step.")
        )  # fmt: skip
        hint.setObjectName("hintLabel")
        hint.setWordWrap(True)
        self.file_edit = QLineEdit()
        self.file_edit.setPlaceholderText(_("CSV file"))
        self.file_edit.textChanged.connect(self._update_buttons)
        self.browse_button = QPushButton(_("Choose file…"))
        self.browse_button.clicked.connect(self._on_browse_button_clicked)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.browse_button)

        self.receivable_radio = QRadioButton(_("Receivables — invoices to your customers"))
        self.payable_radio = QRadioButton(_("Payables — invoices from your suppliers"))
        self.receivable_radio.setChecked(True)
        self.kind_group = QButtonGroup(self)
        self.kind_group.addButton(self.receivable_radio)
        self.kind_group.addButton(self.payable_radio)
        kind_box = QGroupBox(_("The file contains"))
        kind_layout = QVBoxLayout(kind_box)
        kind_layout.addWidget(self.receivable_radio)
        kind_layout.addWidget(self.payable_radio)

        self.saved_combo = QComboBox()
        self.saved_combo.addItem(_("Detect columns automatically"), None)
        saved_row = QHBoxLayout()
        saved_row.addWidget(QLabel(_("Column mapping:")))
        saved_row.addWidget(self.saved_combo, 1)

        self.file_error = _error_label()
        layout = QVBoxLayout(page)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addSpacing(8)
        layout.addLayout(file_row)
        layout.addWidget(kind_box)
        layout.addLayout(saved_row)
        layout.addWidget(self.file_error)
        layout.addStretch(1)
        return page

    def _load_saved_mappings(self) -> None:
        ledger = self._ledger

        def load(cancel: threading.Event, progress: Callable[[int, int], None]) -> dict[str, dict[str, str]]:
            return saved_mappings(ledger)

        self._runner.run(load, on_success=self._on_saved_mappings, parent=self)

    def _on_saved_mappings(self, mappings: dict[str, dict[str, str]]) -> None:
        for name in sorted(mappings, key=str.casefold):
            self.saved_combo.addItem(name, mappings[name])

    def _on_browse_button_clicked(self) -> None:
        path = choose_invoice_file(self)
        if path is not None:
            self.file_edit.setText(str(path))

    def kind(self) -> str:
        return PAYABLE if self.payable_radio.isChecked() else RECEIVABLE

    # -- step 2: preview and mapping ---------------------------------------------------------
    def _build_preview_step(self) -> QWidget:
        page = QWidget()
        self.format_label = QLabel()
        self.format_label.setObjectName("hintLabel")
        self.format_label.setWordWrap(True)
        self.field_combos: dict[str, QComboBox] = {}
        mapping_box = QGroupBox(_("Columns"))
        grid = QGridLayout(mapping_box)
        grid.setHorizontalSpacing(10)
        per_column = (len(FIELDS) + 2 + 1) // 2
        for position, field in enumerate(FIELDS):
            combo = QComboBox()
            combo.setMinimumContentsLength(14)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.activated.connect(self._on_mapping_changed)
            self.field_combos[field] = combo
            label = QLabel(_(FIELD_LABELS[field]) + (" *" if field in REQUIRED else ""))
            row, column = position % per_column, position // per_column * 2
            grid.addWidget(label, row, column)
            grid.addWidget(combo, row, column + 1)
        self.dates_combo = QComboBox()
        for name in DATE_FORMATS:
            self.dates_combo.addItem(name, name)
        self.decimal_combo = QComboBox()
        self.decimal_combo.addItem(_("comma (1.234,56)"), ",")
        self.decimal_combo.addItem(_("point (1,234.56)"), ".")
        self.dates_combo.activated.connect(lambda _index: self._on_format_changed("dates", self.dates_combo))
        self.decimal_combo.activated.connect(lambda _index: self._on_format_changed("decimal", self.decimal_combo))
        for offset, (text, combo) in enumerate(
            ((_("Dates"), self.dates_combo), (_("Decimal mark"), self.decimal_combo))
        ):
            position = len(FIELDS) + offset
            grid.addWidget(QLabel(text), position % per_column, position // per_column * 2)
            grid.addWidget(combo, position % per_column, position // per_column * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.setColumnMinimumWidth(2, 130)
        self.missing_label = _error_label()

        self.preview_model = InvoicePreviewTableModel(self)
        self.preview_table = QTableView()
        self.preview_table.setModel(self.preview_model)
        self.preview_table.verticalHeader().hide()
        self.preview_table.setWordWrap(False)
        self.preview_table.setAlternatingRowColors(True)
        self.preview_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.preview_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.preview_table.horizontalHeader().setStretchLastSection(True)
        self.preview_caption = QLabel()
        self.preview_caption.setObjectName("sectionLabel")
        self.errors_caption = QLabel()
        self.errors_caption.setObjectName("sectionLabel")
        self.errors_list = QListWidget()
        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        preview_layout.addWidget(self.preview_caption)
        preview_layout.addWidget(self.preview_table)
        errors_box = QWidget()
        errors_layout = QVBoxLayout(errors_box)
        errors_layout.setContentsMargins(0, 0, 0, 0)
        errors_layout.addWidget(self.errors_caption)
        errors_layout.addWidget(self.errors_list)
        self.raw_caption = QLabel()
        self.raw_caption.setObjectName("sectionLabel")
        self.raw_view = raw_text_view()
        raw_box = QWidget()
        raw_layout = QVBoxLayout(raw_box)
        raw_layout.setContentsMargins(0, 0, 0, 0)
        raw_layout.addWidget(self.raw_caption)
        raw_layout.addWidget(self.raw_view)
        self.preview_splitter = QSplitter(Qt.Orientation.Vertical)
        self.preview_splitter.addWidget(raw_box)
        self.preview_splitter.addWidget(preview_box)
        self.preview_splitter.addWidget(errors_box)
        self.preview_splitter.setSizes([130, 250, 90])

        self.skip_check = QCheckBox(_("Skip bad rows (otherwise nothing is imported while a row has an error)"))
        self.skip_check.toggled.connect(self._update_buttons)
        self.save_edit = QLineEdit()
        self.save_edit.setPlaceholderText(_("optional, e.g. the program's name"))
        save_row = QHBoxLayout()
        save_row.addWidget(QLabel(_("Save mapping as:")))
        save_row.addWidget(self.save_edit, 1)
        self.import_error = _error_label()

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.format_label)
        layout.addWidget(mapping_box)
        layout.addWidget(self.missing_label)
        layout.addWidget(self.preview_splitter, 1)
        layout.addWidget(self.skip_check)
        layout.addLayout(save_row)
        layout.addWidget(self.import_error)
        return page

    def mapping(self) -> dict[str, str]:
        """Field -> column as the combos show it, plus a date format or decimal mark the user chose."""
        chosen = {field: combo.currentData() for field, combo in self.field_combos.items() if combo.currentData()}
        return {**chosen, **self._format_overrides}

    def _on_mapping_changed(self, _index: int = 0) -> None:
        self._load_preview(self.mapping())

    def _on_format_changed(self, key: str, combo: QComboBox) -> None:
        self._format_overrides[key] = combo.currentData()
        self._load_preview(self.mapping())

    def _load_preview(self, mapping: dict[str, str] | None) -> None:
        self._generation += 1
        generation, path, kind = self._generation, Path(self.file_edit.text().strip()), self.kind()

        def run(cancel: threading.Event, progress: Callable[[int, int], None]) -> InvoicePreview:
            return preview_invoices(path, mapping, kind=kind)

        self.next_button.setEnabled(False)
        self.disabled_reason.setText(_("Reading the file…"))
        self._runner.run(
            run,
            on_success=lambda preview: self._on_preview(generation, preview),
            on_failure=lambda error: self._on_preview_failed(generation, error),
            parent=self,
        )

    def _on_preview_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        if self.steps.currentIndex() == 1:
            self.preview = None  # the columns on screen no longer describe a readable file
        self._update_buttons()
        if not is_user_error(error):
            present_error(error, parent=self)
            return
        target = self.file_error if self.steps.currentIndex() == 0 else self.missing_label
        target.setText(str(error))
        target.show()
        self.previewed.emit()

    def _on_preview(self, generation: int, preview: InvoicePreview) -> None:
        if generation != self._generation:
            return
        self.preview = preview
        self.file_error.hide()
        self.import_error.hide()
        for field, combo in self.field_combos.items():
            combo.clear()
            combo.addItem(_("(not in the file)"), "")
            for header in preview.headers:
                combo.addItem(header, header)
            combo.setCurrentIndex(max(0, combo.findData(preview.mapping.get(field, ""))))
        self.dates_combo.setCurrentIndex(max(0, self.dates_combo.findData(preview.format.date_format)))
        self.decimal_combo.setCurrentIndex(max(0, self.decimal_combo.findData(preview.format.decimal)))
        self.format_label.setText(
            _("{file}: {rows} rows, encoding {encoding}, separator “{delimiter}”. Check the columns; "
              "the preview follows every change.").format(
                file=preview.path.name,
                rows=preview.total_rows,
                encoding=preview.format.encoding,
                delimiter="Tab" if preview.format.delimiter == "\t" else preview.format.delimiter,
            )
        )  # fmt: skip
        if preview.missing:
            self.missing_label.setText(
                _("Choose a column for: {fields}").format(fields=", ".join(_(FIELD_LABELS[f]) for f in preview.missing))
            )
        self.missing_label.setVisible(bool(preview.missing))
        self.raw_caption.setText(
            ngettext(
                "The file as it is: the first line", "The file as it is: the first {n} lines", len(preview.raw_lines)
            ).format(n=len(preview.raw_lines))
        )
        self.raw_view.setPlainText("\n".join(preview.raw_lines))
        self.preview_model.set_rows(preview.rows)
        self.preview_table.resizeColumnsToContents()
        self.preview_caption.setText(
            _("First {shown} of {total} rows as they will be imported").format(
                shown=len(preview.rows), total=preview.total_rows
            )
        )
        self.errors_list.clear()
        for row, reason in preview.errors:
            self.errors_list.addItem(_("Row {row}: {reason}").format(row=row, reason=reason))
        self.errors_caption.setText(
            ngettext("{n} row with errors", "{n} rows with errors", len(preview.errors)).format(n=len(preview.errors))
            if preview.errors
            else _("No errors")
        )
        self.errors_list.setVisible(bool(preview.errors))
        self._show_step(1)
        self.previewed.emit()

    # -- step 3: import and result -----------------------------------------------------------
    def _build_result_step(self) -> QWidget:
        page = QWidget()
        heading = QLabel(_("Import finished"))
        heading.setObjectName("dialogHeading")
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        self.result_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(page)
        layout.addWidget(heading)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        return page

    def start_import(self) -> None:
        """Save the mapping if named, then import in a writing job; refusals are shown on the preview step."""
        path, kind, mapping = Path(self.file_edit.text().strip()), self.kind(), self.mapping()
        skip, name, ledger, actor = (
            self.skip_check.isChecked(),
            self.save_edit.text().strip(),
            self._ledger,
            current_actor(),
        )

        def run(cancel: threading.Event, progress: Callable[[int, int], None]) -> MatchedInvoiceImport:
            if name:
                save_mapping(ledger, name, mapping, actor=actor)
            return import_invoices_and_match(ledger, path, kind=kind, mapping=mapping, skip_bad_rows=skip, actor=actor)

        self.import_error.hide()
        self.next_button.setEnabled(False)
        self.back_button.setEnabled(False)
        self.disabled_reason.setText(_("Importing…"))
        self._runner.run(
            run,
            on_success=self._on_imported,
            on_failure=self._on_import_failed,
            writes=True,
            progress_text=_("Importing invoices…"),
            parent=self,
        )

    def _on_import_failed(self, error: BaseException) -> None:
        self._update_buttons()
        self.back_button.setEnabled(True)
        if not isinstance(error, InvoiceImportError | OSError):
            present_error(error, parent=self)
            return
        message = str(error)
        if isinstance(error, InvoiceImportError) and error.errors:
            count = len(error.errors)
            message = ngettext(
                "{n} row has an error, so nothing was imported. Correct the file, or tick “Skip bad rows”.",
                "{n} rows have errors, so nothing was imported. Correct the file, or tick “Skip bad rows”.",
                count,
            ).format(n=count)
        self.import_error.setText(message)
        self.import_error.show()
        self.failed.emit(message)

    def _on_imported(self, outcome: MatchedInvoiceImport) -> None:
        self.outcome = result = outcome.imported
        lines = [
            ngettext("{n} new invoice", "{n} new invoices", result.new).format(n=result.new),
            ngettext("{n} updated", "{n} updated", result.updated).format(n=result.updated),
            ngettext("{n} unchanged", "{n} unchanged", result.unchanged).format(n=result.unchanged),
            ngettext("{n} new customer", "{n} new customers", result.customers_created).format(
                n=result.customers_created
            ),
        ]
        if result.flagged_for_review:
            lines.append(
                _("{n} to check (payments were allocated before they changed): {numbers}").format(
                    n=len(result.flagged_for_review), numbers=", ".join(result.flagged_for_review)
                )
            )
        if result.errors:
            lines.append(ngettext("{n} bad row skipped", "{n} bad rows skipped", len(result.errors)).format(
                n=len(result.errors)))  # fmt: skip
        lines.append(_("Payments: {summary}").format(summary=outcome.matching.text()))
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        self.result_label.setText(f"<p>{html.escape(result.source)}</p><ul>{items}</ul>")
        self._show_step(2)
        self.imported.emit(result)

    # -- navigation --------------------------------------------------------------------------
    def _show_step(self, step: int) -> None:
        self.steps.setCurrentIndex(step)
        self.back_button.setVisible(step == 1)
        self.back_button.setEnabled(True)
        self.next_button.setVisible(step < 2)
        self.next_button.setText(_("Preview >") if step == 0 else _("Import"))
        self.close_button.setText(_("Close") if step == 2 else _("Cancel"))
        self._update_buttons()

    def _update_buttons(self) -> None:
        step, reason = self.steps.currentIndex(), ""
        if step == 0 and not self.file_edit.text().strip():
            reason = _("Choose the CSV file first.")
        elif step == 1 and self.preview is None:
            reason = _("The file could not be read; see the message above.")
        elif step == 1 and self.preview is not None and self.preview.missing:
            reason = _("Import needs a column for: {fields}.").format(
                fields=", ".join(_(FIELD_LABELS[field]) for field in self.preview.missing)
            )
        if step < 2:
            self.next_button.setEnabled(not reason)
        self.disabled_reason.setText(reason)
        self.next_button.setToolTip(reason)

    def _on_back_button_clicked(self) -> None:
        self._show_step(0)

    def _on_next_button_clicked(self) -> None:
        if self.steps.currentIndex() == 0:
            self._format_overrides = {}
            self.file_error.hide()
            self._load_preview(self.saved_combo.currentData())
        else:
            self.start_import()
