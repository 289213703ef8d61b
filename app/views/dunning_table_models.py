"""The Dunning page's two lists: today's proposed letters (with a send checkbox each) and the runs made so far."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.services.dunning.proposal import ProposedLetter
from app.services.dunning.runs import RunSummary
from app.services.formatting import format_cents, format_date
from app.services.i18n import N_, _
from app.views.list_table_model import ListTableModel

HELD_COLOR = QColor("#8a6100")


class ProposalColumn(IntEnum):
    CUSTOMER = 0
    LEVEL = 1
    INVOICES = 2
    OPEN = 3
    INTEREST = 4
    FEES = 5
    TOTAL = 6
    NOTE = 7


PROPOSAL_HEADERS = {
    ProposalColumn.CUSTOMER: N_("Customer"),
    ProposalColumn.LEVEL: N_("Level"),
    ProposalColumn.INVOICES: N_("Invoices"),
    ProposalColumn.OPEN: N_("Open"),
    ProposalColumn.INTEREST: N_("Interest"),
    ProposalColumn.FEES: N_("Fees"),
    ProposalColumn.TOTAL: N_("Total"),
    ProposalColumn.NOTE: N_("Note"),
}


class ProposalTableModel(ListTableModel[ProposedLetter]):
    """Proposed letters; the first column's checkbox says whether the letter is made (held ones start unticked)."""

    columns = ProposalColumn
    headers = PROPOSAL_HEADERS
    right_aligned = frozenset({ProposalColumn.OPEN, ProposalColumn.INTEREST, ProposalColumn.FEES, ProposalColumn.TOTAL})

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.level_names: dict[int, str] = {}
        self._excluded: set[int] = set()  # customer ids

    def set_rows(self, rows: Sequence[ProposedLetter]) -> None:
        self._excluded = {letter.customer_id for letter in rows if letter.held}
        super().set_rows(rows)

    def chosen(self) -> list[ProposedLetter]:
        return [letter for letter in self._rows if letter.customer_id not in self._excluded]

    def excluded_ids(self) -> set[int]:
        return set(self._excluded)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        return flags | Qt.ItemFlag.ItemIsUserCheckable if index.column() == ProposalColumn.CUSTOMER else flags

    def setData(
        self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        cell = self.cell(index)
        if cell is None or role != Qt.ItemDataRole.CheckStateRole or cell[1] != ProposalColumn.CUSTOMER:
            return False
        letter = cell[0]
        if Qt.CheckState(value) == Qt.CheckState.Checked:
            self._excluded.discard(letter.customer_id)
        else:
            self._excluded.add(letter.customer_id)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        cell = self.cell(index)
        if cell is None:
            return None
        letter, column = cell
        if role == Qt.ItemDataRole.CheckStateRole and column == ProposalColumn.CUSTOMER:
            excluded = letter.customer_id in self._excluded
            return Qt.CheckState.Unchecked if excluded else Qt.CheckState.Checked
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(column)
        if role == Qt.ItemDataRole.ForegroundRole and column == ProposalColumn.NOTE:
            return HELD_COLOR
        if role == Qt.ItemDataRole.ToolTipRole and column == ProposalColumn.NOTE and letter.held:
            return _("Held: tick the customer to write anyway.")
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        texts = {
            ProposalColumn.CUSTOMER: f"{letter.customer_number} {letter.customer_name}",
            ProposalColumn.LEVEL: self.level_names.get(letter.level, str(letter.level)),
            ProposalColumn.INVOICES: ", ".join(item.number for item in letter.items),
            ProposalColumn.OPEN: format_cents(letter.open_cents),
            ProposalColumn.INTEREST: format_cents(letter.interest_cents) if letter.interest_cents else "",
            ProposalColumn.FEES: format_cents(letter.fees_cents) if letter.fees_cents else "",
            ProposalColumn.TOTAL: format_cents(letter.total_cents),
            ProposalColumn.NOTE: letter.held,
        }
        return texts[ProposalColumn(column)]


class DunningRunColumn(IntEnum):
    ID = 0
    DATE = 1
    LETTERS = 2
    TOTAL = 3
    STATUS = 4


RUN_HEADERS = {
    DunningRunColumn.ID: N_("Run"),
    DunningRunColumn.DATE: N_("Date"),
    DunningRunColumn.LETTERS: N_("Letters"),
    DunningRunColumn.TOTAL: N_("Total"),
    DunningRunColumn.STATUS: N_("Status"),
}
RUN_STATUS_LABELS = {"draft": N_("draft: not sent yet"), "sent": N_("sent")}


class DunningRunTableModel(ListTableModel[RunSummary]):
    columns = DunningRunColumn
    headers = RUN_HEADERS
    right_aligned = frozenset({DunningRunColumn.ID, DunningRunColumn.LETTERS, DunningRunColumn.TOTAL})

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        cell = self.cell(index)
        if cell is None:
            return None
        run, column = cell
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(column)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        texts = {
            DunningRunColumn.ID: str(run.id),
            DunningRunColumn.DATE: format_date(run.run_on),
            DunningRunColumn.LETTERS: str(len(run.letters)),
            DunningRunColumn.TOTAL: format_cents(sum(letter.total_cents for letter in run.letters)),
            DunningRunColumn.STATUS: _(RUN_STATUS_LABELS.get(run.status, run.status)),
        }
        return texts[DunningRunColumn(column)]
