"""A small table model over the account summaries, with an "All accounts" row on top (a handful of rows)."""

from __future__ import annotations

from decimal import Decimal
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from app.services.formatting import format_amount, format_date, grouped_iban
from app.services.i18n import N_, _
from app.services.statements.balances import AccountSummary
from app.views.list_table_model import ListTableModel

AccountIdRole = Qt.ItemDataRole.UserRole + 1  # None for the "All accounts" row
BalanceRole = Qt.ItemDataRole.UserRole + 2  # Decimal
NEGATIVE_COLOR = QColor("#b3261e")


class AccountColumn(IntEnum):
    NAME = 0
    BANK = 1
    IBAN = 2
    BALANCE = 3
    UPDATED = 4


HEADERS = {
    AccountColumn.NAME: N_("Account"),
    AccountColumn.BANK: N_("Bank"),
    AccountColumn.IBAN: N_("IBAN"),
    AccountColumn.BALANCE: N_("Balance"),
    AccountColumn.UPDATED: N_("Last update"),
}


class AccountTableModel(ListTableModel[AccountSummary | None]):
    """Row 0 (None) is the total over all accounts; rows 1.. are the accounts; no rows without accounts."""

    columns = AccountColumn
    headers = HEADERS
    right_aligned = frozenset({AccountColumn.BALANCE})

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._total = Decimal("0.00")

    def set_accounts(self, accounts: list[AccountSummary], total: Decimal) -> None:
        self._total = total
        self.set_rows([None, *accounts] if accounts else [])

    def accounts(self) -> list[AccountSummary]:
        return [account for account in self.rows() if account is not None]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        cell = self.cell(index)
        if cell is None:
            return None
        account, column = cell
        balance = account.balance if account is not None else self._total
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(account, AccountColumn(column), balance)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(column)
        if role == Qt.ItemDataRole.ForegroundRole and column == AccountColumn.BALANCE and balance < 0:
            return NEGATIVE_COLOR
        if role == Qt.ItemDataRole.FontRole and account is None:
            font = QFont()
            font.setBold(True)
            return font
        if role == AccountIdRole:
            return account.account_id if account is not None else None
        if role == BalanceRole:
            return balance
        return None

    @staticmethod
    def _display(account: AccountSummary | None, column: AccountColumn, balance: Decimal) -> str:
        if column == AccountColumn.BALANCE:
            return format_amount(balance, account.currency if account is not None else "EUR")
        if account is None:
            return _("All accounts") if column == AccountColumn.NAME else ""
        if column == AccountColumn.NAME:
            return account.label
        if column == AccountColumn.BANK:
            return account.bank_name
        if column == AccountColumn.IBAN:
            return grouped_iban(account.iban)
        return format_date(account.updated_on) if account.updated_on else ""
