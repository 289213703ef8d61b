"""SEPA mandates per customer for the Mandates dialog (a handful per customer: a plain list)."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.models.payments import MandateStatus
from app.services.formatting import format_date, grouped_iban
from app.services.i18n import N_, _
from app.services.payments.mandates import MANDATE_STATUS_LABELS, MandateRow
from app.views.list_table_model import ListTableModel

MandateReferenceRole = Qt.ItemDataRole.UserRole + 1
INACTIVE_COLOR = QColor("#8a939e")


class MandateColumn(IntEnum):
    CUSTOMER = 0
    REFERENCE = 1
    SIGNED = 2
    SCHEME = 3
    DEBTOR = 4
    IBAN = 5
    STATUS = 6


HEADERS = {
    MandateColumn.CUSTOMER: N_("Customer"),
    MandateColumn.REFERENCE: N_("Mandate reference"),
    MandateColumn.SIGNED: N_("Signed"),
    MandateColumn.SCHEME: N_("Scheme"),
    MandateColumn.DEBTOR: N_("Account holder"),
    MandateColumn.IBAN: N_("IBAN"),
    MandateColumn.STATUS: N_("Status"),
}


class MandateTableModel(ListTableModel[MandateRow]):
    """Mandate rows as `list_mandates` returns them; inactive ones are greyed."""

    columns = MandateColumn
    headers = HEADERS

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = MandateColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            texts = {
                MandateColumn.CUSTOMER: f"{row.customer_number} {row.customer_name}",
                MandateColumn.REFERENCE: row.reference,
                MandateColumn.SIGNED: format_date(row.signed_on),
                MandateColumn.SCHEME: row.scheme,
                MandateColumn.DEBTOR: row.debtor_name,
                MandateColumn.IBAN: grouped_iban(row.debtor_iban),
                MandateColumn.STATUS: _(MANDATE_STATUS_LABELS.get(row.status, row.status)),
            }
            return texts[column]
        if role == Qt.ItemDataRole.ForegroundRole and row.status != MandateStatus.ACTIVE:
            return INACTIVE_COLOR
        if role == MandateReferenceRole:
            return row.reference
        return None
