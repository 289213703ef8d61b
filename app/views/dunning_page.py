"""The Dunning page: today's letters (tick which to make), a preview of each, and the runs with their PDFs.

Everything that reads or renders runs in jobs; making letters, marking a run as sent and discarding it write.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.dunning.letters import Picture, letter_picture
from app.services.dunning.proposal import ProposedLetter, propose
from app.services.dunning.runs import RunSummary, create_run, discard_run, letter_pdf, mark_sent, preview_letter, runs
from app.services.dunning.settings import load_settings
from app.services.formatting import format_cents, format_date
from app.services.i18n import N_, _, current_language, ngettext
from app.services.ledger.database import Ledger
from app.services.private_files import make_dirs, open_private
from app.views.date_fields import date_edit
from app.views.dunning_table_models import DunningRunTableModel, ProposalColumn, ProposalTableModel
from app.views.empty_page import empty_state_label
from app.views.jobs import run_change
from app.views.pages import PageContext
from app.views.tables import new_table

EMPTY_TEXT = N_(
    "No letters due on this day. Overdue invoices appear here once their reminder period has passed; "
    "invoices on hold and customers with a payment not yet allocated are marked."
)
PROPOSAL_WIDTHS = {  # fits beside the letter preview at 1280 pixels; the note takes what is left
    ProposalColumn.CUSTOMER: 180,
    ProposalColumn.LEVEL: 132,
    ProposalColumn.INVOICES: 105,
    ProposalColumn.OPEN: 90,
    ProposalColumn.INTEREST: 72,
    ProposalColumn.FEES: 72,
    ProposalColumn.TOTAL: 92,
}
_Loaded = tuple[list[ProposedLetter], list[RunSummary], dict[int, str]]


class DunningPage(QWidget):
    """Proposal, preview and runs; `refresh()` after anything changed the ledger."""

    loaded = Signal()
    previewed = Signal()
    ledger_changed = Signal()
    reported = Signal(str)

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ledger: Ledger = context.unlocked.ledger
        self._runner = context.runner
        self._identity = context.identity
        self._generation = 0
        self._preview_generation = 0
        self.proposal_model = ProposalTableModel(self)
        self.run_model = DunningRunTableModel(self)
        self._build()
        self.refresh()

    def _build(self) -> None:
        self.date_edit = date_edit(date.today())
        self.date_edit.dateChanged.connect(self.refresh)
        self.create_button = QPushButton(_("Create letters"))
        self.create_button.setToolTip(_("Make a PDF letter for each ticked customer; levels advance when sent."))
        self.create_button.clicked.connect(self._on_create_button_clicked)
        self.choice_label = QLabel()
        self.choice_label.setObjectName("hintLabel")
        bar = QHBoxLayout()
        bar.addWidget(QLabel(_("Letters due on")))
        bar.addWidget(self.date_edit)
        bar.addWidget(self.create_button)
        bar.addWidget(self.choice_label, 1)

        self.proposal_table = new_table(self.proposal_model, widths=PROPOSAL_WIDTHS, stretch=ProposalColumn.NOTE)
        self.proposal_table.selectionModel().selectionChanged.connect(self._on_proposal_selection_changed)
        self.proposal_model.dataChanged.connect(self._show_choice)
        self.empty_label = empty_state_label(_(EMPTY_TEXT))
        self.empty_label.setWordWrap(True)
        self.proposal_stack = QStackedWidget()
        self.proposal_stack.addWidget(self.proposal_table)
        self.proposal_stack.addWidget(self.empty_label)

        self.preview_label = QLabel(_("Select a letter to see it."))
        self.preview_label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.preview_label.setObjectName("hintLabel")
        self.preview_label.setWordWrap(True)
        self.preview = QScrollArea()
        self.preview.setWidget(self.preview_label)
        self.preview.setWidgetResizable(True)
        self.preview.setMinimumWidth(260)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.proposal_stack)
        top.addWidget(self.preview)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        top.setSizes([820, 260])

        runs_caption = QLabel(_("Dunning runs"))
        runs_caption.setObjectName("sectionLabel")
        self.run_table = new_table(self.run_model, stretch=None)
        self.run_table.selectionModel().selectionChanged.connect(self._on_run_selection_changed)
        self.save_button = QPushButton(_("Save letters…"))
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.sent_button = QPushButton(_("Mark as sent"))
        self.sent_button.setToolTip(_("The letters went out: their invoices move to the letters' levels."))
        self.sent_button.clicked.connect(self._on_sent_button_clicked)
        self.discard_button = QPushButton(_("Discard"))
        self.discard_button.clicked.connect(self._on_discard_button_clicked)
        run_buttons = QHBoxLayout()
        run_buttons.addWidget(runs_caption, 1)
        for button in (self.save_button, self.sent_button, self.discard_button):
            run_buttons.addWidget(button)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addLayout(run_buttons)
        bottom_layout.addWidget(self.run_table)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setSizes([520, 200])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        self._on_run_selection_changed()

    # -- loading -------------------------------------------------------------------------------------
    def day(self) -> date:
        chosen = self.date_edit.date()
        return date(chosen.year(), chosen.month(), chosen.day())

    def refresh(self) -> None:
        self._generation += 1
        generation, ledger, day = self._generation, self._ledger, self.day()

        def load(cancel: threading.Event, progress: Callable[[int, int], None]) -> _Loaded:
            with ledger.session() as session:
                language = current_language()
                names = {level.number: level.name(language) for level in load_settings(session).levels}
            return propose(ledger, today=day), runs(ledger), names

        self._runner.run(load, on_success=lambda result: self._on_loaded(generation, result), parent=self)

    def _on_loaded(self, generation: int, result: _Loaded) -> None:
        if generation != self._generation:
            return
        letters, run_rows, names = result
        self.proposal_model.level_names = names
        self.proposal_model.set_rows(letters)
        self.proposal_stack.setCurrentWidget(self.proposal_table if letters else self.empty_label)
        selected = self.selected_run()
        self.run_model.set_rows(run_rows)
        if selected is not None:
            row = next((n for n, run in enumerate(run_rows) if run.id == selected.id), -1)
            if row >= 0:
                self.run_table.selectRow(row)
        self._show_choice()
        self._on_run_selection_changed()
        self._show_picture(None)
        self.loaded.emit()

    def _show_choice(self) -> None:
        chosen = self.proposal_model.chosen()
        total = sum(letter.total_cents for letter in chosen)
        held = sum(1 for letter in self.proposal_model.rows() if letter.held)
        text = ngettext("{n} letter ticked, {total}", "{n} letters ticked, {total}", len(chosen)).format(
            n=len(chosen), total=format_cents(total)
        )
        if held:
            text += " · " + ngettext("{n} held", "{n} held", held).format(n=held)
        self.choice_label.setText(text if self.proposal_model.rowCount() else "")
        self.create_button.setEnabled(bool(chosen))

    # -- preview -------------------------------------------------------------------------------------
    def _on_proposal_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.proposal_table.selectionModel().selectedRows()
        if not rows:
            return
        letter = self.proposal_model.row_at(rows[0].row())
        self._preview_generation += 1
        generation, ledger, day = self._preview_generation, self._ledger, self.day()
        width = max(300, self.preview.viewport().width() - 8)  # the page fits the pane; scroll down for the rest

        def render(cancel: threading.Event, progress: Callable[[int, int], None]) -> Picture:
            return letter_picture(preview_letter(ledger, letter.customer_id, today=day), width=width)

        def show(picture: Picture) -> None:
            if generation == self._preview_generation:
                self._show_picture(picture)
                self.previewed.emit()

        self._runner.run(render, on_success=show, parent=self)

    def _show_picture(self, picture: Picture | None) -> None:
        if picture is None:
            self.preview_label.setPixmap(QPixmap())
            self.preview_label.setText(_("Select a letter to see it."))
            return
        image = QImage(picture.rgbx, picture.width, picture.height, picture.stride, QImage.Format.Format_RGBX8888)
        self.preview_label.setPixmap(QPixmap.fromImage(image.copy()))

    def preview_pixmap(self) -> QPixmap:
        return self.preview_label.pixmap()

    # -- making and sending ------------------------------------------------------------------------
    def _on_create_button_clicked(self) -> None:
        excluded = self.proposal_model.excluded_ids()
        include_held = {letter.customer_id for letter in self.proposal_model.chosen() if letter.held}
        ledger, actor, day = self._ledger, self._identity.acting_name(), self.day()

        def make(cancel: threading.Event, progress: Callable[[int, int], None]) -> RunSummary:
            return create_run(ledger, actor=actor, today=day, exclude=excluded, include_held=include_held)

        self.create_button.setEnabled(False)
        self._runner.run(make, on_success=self._on_created, on_failure=self._on_failed, writes=True, parent=self)

    def _on_created(self, summary: RunSummary) -> None:
        self.reported.emit(summary.text())
        self.ledger_changed.emit()
        self.refresh()
        self.run_table.clearSelection()

    def _on_failed(self, error: BaseException) -> None:
        from app.views.errors import present_error

        self._show_choice()
        present_error(error, parent=self)

    def selected_run(self) -> RunSummary | None:
        rows = self.run_table.selectionModel().selectedRows()
        return self.run_model.row_at(rows[0].row()) if rows else None

    def _on_run_selection_changed(self, *_args: object) -> None:
        run = self.selected_run()
        self.save_button.setEnabled(run is not None)
        draft = run is not None and run.status == "draft"
        self.sent_button.setEnabled(draft)
        self.discard_button.setEnabled(draft)

    def _on_save_button_clicked(self) -> None:
        run = self.selected_run()
        if run is None:
            return
        folder = QFileDialog.getExistingDirectory(self, _("Save the letters of run {id} in").format(id=run.id))
        if folder:
            self.save_letters(run, Path(folder))

    def save_letters(self, run: RunSummary, folder: Path) -> None:
        ledger = self._ledger

        def write(cancel: threading.Event, progress: Callable[[int, int], None]) -> int:
            make_dirs(folder)
            for letter in run.letters:
                with open_private(folder / f"mahnung-{run.id}-{letter.customer_number or letter.id}.pdf", "wb") as out:
                    out.write(letter_pdf(ledger, letter.id))
            return len(run.letters)

        def done(count: int) -> None:
            self.reported.emit(_("{n} letters saved in {folder}.").format(n=count, folder=folder))

        self._runner.run(write, on_success=done, parent=self)

    def _on_sent_button_clicked(self) -> None:
        run = self.selected_run()
        if run is None:
            return
        question = _(
            "Mark run {id} of {day} as sent? Its {n} letters' invoices then stand at the letters' levels."
        ).format(id=run.id, day=format_date(run.run_on), n=len(run.letters))
        if QMessageBox.question(self, _("Mark as sent"), question) != QMessageBox.StandardButton.Yes:
            return
        self._change(lambda ledger, actor: mark_sent(ledger, run.id, actor=actor))

    def _on_discard_button_clicked(self) -> None:
        run = self.selected_run()
        if run is None:
            return
        question = _("Discard run {id} and its {n} letters? They were not sent.").format(id=run.id, n=len(run.letters))
        if QMessageBox.question(self, _("Discard"), question) != QMessageBox.StandardButton.Yes:
            return
        self._change(lambda ledger, actor: discard_run(ledger, run.id, actor=actor))

    def _change(self, action: Callable[[Ledger, str], object]) -> None:
        ledger, actor = self._ledger, self._identity.acting_name()
        run_change(self._runner, lambda: action(ledger, actor), done=self._changed, parent=self)

    def _changed(self) -> None:
        self.ledger_changed.emit()
        self.refresh()
