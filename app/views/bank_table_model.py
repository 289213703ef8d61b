"""The banks a directory search found, for the connection wizard (at most a hundred rows: a plain list)."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from app.services.banking.bank_directory import DirectoryEntry
from app.services.i18n import N_, _
from app.views.list_table_model import ListTableModel


class BankColumn(IntEnum):
    NAME = 0
    PLACE = 1
    BLZ = 2
    BIC = 3
    ADDRESS = 4


HEADERS = {
    BankColumn.NAME: N_("Bank"),
    BankColumn.PLACE: N_("Short name / town"),
    BankColumn.BLZ: N_("BLZ"),
    BankColumn.BIC: N_("BIC"),
    BankColumn.ADDRESS: N_("PIN/TAN address"),
}


class BankTableModel(ListTableModel[DirectoryEntry]):
    """Directory entries; the last column says whether Kontor knows the bank's FinTS address."""

    columns = BankColumn
    headers = HEADERS

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        cell = self.cell(index)
        if cell is None:
            return None
        entry, column = cell
        if role == Qt.ItemDataRole.DisplayRole:
            info = entry.info
            blz = f"{info.blz[:3]} {info.blz[3:6]} {info.blz[6:]}"
            address = _("known") if info.fints_url else _("enter it yourself")
            return (info.name, entry.place, blz, info.bic, address)[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == BankColumn.ADDRESS:
            return entry.info.fints_url or _("Your bank's website lists its FinTS (HBCI) PIN/TAN address.")
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(column)
        return None
