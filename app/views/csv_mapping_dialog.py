"""Columns of a bank CSV no profile knows: the file as it is, its columns with a role each, what is missing in words.

Import is enabled only when the mapping is complete and the start of the file reads with it; the dialog hands back
the same spec the CLI's `--map` takes, so the import itself is the ordinary one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.i18n import N_, _, ngettext
from app.services.statements.bank_csv import mapping_spec
from app.services.statements.csv_detect import CsvMapping
from app.services.statements.csv_preview import (
    IGNORE,
    ROLE_LABELS,
    CsvPreview,
    mapping_with_roles,
    missing_in,
    preview_csv,
    roles_of,
    trial_read,
)
from app.services.statements.model import StatementFormatError
from app.views.tables import raw_text_view
from app.views.tone import set_tone

DELIMITERS = ((N_("semicolon ;"), ";"), (N_("comma ,"), ","), (N_("tab"), "\t"), (N_("pipe |"), "|"))
DATE_FORMATS = (("DD.MM.YYYY", "%d.%m.%Y"), ("DD.MM.YY", "%d.%m.%y"), ("YYYY-MM-DD", "%Y-%m-%d"),
                ("DD/MM/YYYY", "%d/%m/%Y"), ("MM/DD/YYYY", "%m/%d/%Y"))  # fmt: skip
COLUMN_WIDTH = 150


class CsvMappingDialog(QDialog):
    """Opened for one file; `mapping_chosen(path, spec)` when the user imports with the columns chosen."""

    mapping_chosen = Signal(object, str)  # Path, the --map spec

    def __init__(self, preview: CsvPreview, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("csvMappingDialog")
        self.setWindowTitle(_("Columns of {file}").format(file=preview.path.name))
        self.resize(980, 700)
        self.preview = preview
        self.base: CsvMapping = preview.guess
        self.combos: list[QComboBox] = []

        heading = QLabel(
            _("Kontor does not know the layout of this bank export. Tell it which column holds what; "
              "the rest of the file is read the same way.")
        )  # fmt: skip
        heading.setWordWrap(True)
        self.raw_caption = QLabel()
        self.raw_caption.setObjectName("sectionLabel")
        self.raw_view = raw_text_view()

        self.delimiter_combo = QComboBox()
        for text, value in DELIMITERS:
            self.delimiter_combo.addItem(_(text), value)
        self.header_check = QCheckBox(_("Column names in the file"))
        self.decimal_combo = QComboBox()
        self.decimal_combo.addItem(_("comma (1.234,56)"), True)
        self.decimal_combo.addItem(_("point (1,234.56)"), False)
        self.date_combo = QComboBox()
        for text, value in DATE_FORMATS:
            self.date_combo.addItem(text, value)
        options = QHBoxLayout()
        for text, widget in ((_("Separator:"), self.delimiter_combo), (_("Decimal mark:"), self.decimal_combo),
                             (_("Dates:"), self.date_combo)):  # fmt: skip
            options.addWidget(QLabel(text))
            options.addWidget(widget)
        options.addWidget(self.header_check)
        options.addStretch(1)

        self.columns_caption = QLabel()
        self.columns_caption.setObjectName("sectionLabel")
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setObjectName("mappingStatus")

        raw_box, columns_box = QWidget(), QWidget()
        raw_layout, columns_layout = QVBoxLayout(raw_box), QVBoxLayout(columns_box)
        for box_layout in (raw_layout, columns_layout):
            box_layout.setContentsMargins(0, 0, 0, 0)
        raw_layout.addWidget(self.raw_caption)
        raw_layout.addWidget(self.raw_view)
        columns_layout.addWidget(self.columns_caption)
        columns_layout.addLayout(options)
        columns_layout.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(raw_box)
        splitter.addWidget(columns_box)
        splitter.setSizes([220, 420])

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = QPushButton(_("Import"))
        self.import_button.setDefault(True)
        self.buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)

        self._show_preview(preview)
        self.delimiter_combo.activated.connect(self._on_layout_changed)
        self.header_check.toggled.connect(self._on_layout_changed)
        self.decimal_combo.activated.connect(self._on_format_changed)
        self.date_combo.activated.connect(self._on_format_changed)

    # -- what the file is --------------------------------------------------------------------
    def _show_preview(self, preview: CsvPreview) -> None:
        self.preview = preview
        self.base = preview.guess
        self.raw_caption.setText(
            ngettext(
                "The file as it is: the first line", "The file as it is: the first {n} lines", len(preview.raw_lines)
            ).format(n=len(preview.raw_lines))
        )
        self.raw_view.setPlainText("\n".join(preview.raw_lines))
        for combo, value in ((self.delimiter_combo, preview.guess.delimiter),
                             (self.decimal_combo, preview.guess.decimal_comma),
                             (self.date_combo, preview.guess.date_format)):  # fmt: skip
            combo.setCurrentIndex(max(0, combo.findData(value)))
        self.header_check.blockSignals(True)
        self.header_check.setChecked(preview.header_line is not None)
        self.header_check.blockSignals(False)
        self.columns_caption.setText(
            _("Columns below the header in line {line}: choose what each one holds").format(line=preview.header_line)
            if preview.header_line is not None
            else _("Columns (the file has no line with column names): choose what each one holds")
        )
        self._fill_table(roles_of(preview.guess, preview.columns))

    def _fill_table(self, roles: list[str]) -> None:
        """One combo per column above its first rows; the header shows the column's name."""
        preview = self.preview
        self.table.clear()
        self.table.setColumnCount(len(preview.columns))
        self.table.setRowCount(1 + len(preview.rows))
        self.table.setHorizontalHeaderLabels(
            [name or _("column {n}").format(n=index + 1) for index, name in enumerate(preview.columns)]
        )
        self.table.setVerticalHeaderLabels(["", *(str(n) for n in range(1, len(preview.rows) + 1))])
        self.combos = []
        for column, role in enumerate(roles):
            combo = QComboBox()
            for value, label in ROLE_LABELS.items():
                combo.addItem(_(label), value)
            combo.setCurrentIndex(max(0, combo.findData(role)))
            combo.activated.connect(self._on_role_changed)
            self.table.setCellWidget(0, column, combo)
            self.table.setColumnWidth(column, COLUMN_WIDTH)
            self.combos.append(combo)
        for row, cells in enumerate(preview.rows, start=1):
            for column, text in enumerate(cells[: len(preview.columns)]):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.setRowHeight(0, self.combos[0].sizeHint().height() + 4 if self.combos else 24)
        self._check()

    # -- what the user chose ---------------------------------------------------------------
    def roles(self) -> list[str]:
        return [combo.currentData() or IGNORE for combo in self.combos]

    def mapping(self) -> CsvMapping:
        return mapping_with_roles(self.base, self.preview.columns, self.roles())

    def _on_role_changed(self, _index: int = 0) -> None:
        self._check()

    def _on_format_changed(self, _index: int = 0) -> None:
        self.base = self._with_formats(self.base)
        self._check()

    def _with_formats(self, mapping: CsvMapping) -> CsvMapping:
        return replace(mapping, decimal_comma=bool(self.decimal_combo.currentData()),
                       date_format=str(self.date_combo.currentData()))  # fmt: skip

    def _on_layout_changed(self, *_args: object) -> None:
        """Another separator or header choice splits the file anew; the roles start from the detector again."""
        preview = preview_csv(self.preview.path, delimiter=self.delimiter_combo.currentData(),
                              has_header=self.header_check.isChecked())  # fmt: skip
        self._show_preview(preview)

    def _check(self) -> None:
        """Say what is missing, or how the start of the file reads; Import only for a mapping that reads."""
        problems = missing_in(self.roles())
        count = 0
        if not problems:
            try:
                count = trial_read(self.preview, self._with_formats(self.mapping()))
            except StatementFormatError as error:
                problems = [str(error)]
        if problems:
            set_tone(self.status_label, "error")
            self.status_label.setText("\n".join(problems))
        else:
            set_tone(self.status_label, "ok")
            self.status_label.setText(
                ngettext(
                    "The first lines give {n} booking; Import reads the whole file this way.",
                    "The first lines give {n} bookings; Import reads the whole file this way.",
                    count,
                ).format(n=count)  # fmt: skip
            )
        self.import_button.setEnabled(not problems)
        self.import_button.setToolTip("" if not problems else _("Import is possible once the columns are complete."))

    def spec(self) -> str:
        """The mapping as the CLI's --map takes it."""
        return mapping_spec(self._with_formats(self.mapping()))

    def _on_buttons_accepted(self) -> None:
        if self.import_button.isEnabled():
            self.mapping_chosen.emit(self.preview.path, self.spec())
            self.accept()


def open_mapping_dialog(path: Path, *, parent: QWidget | None = None) -> CsvMappingDialog:
    """The dialog for `path`, opened (not exec'd); reads the start of the file. Blocks briefly on the file."""
    dialog = CsvMappingDialog(preview_csv(path), parent=parent)
    dialog.open()
    return dialog
