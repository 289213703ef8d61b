"""After a sync with warnings or a failed bank: one row per account (or per failed connection), with what came in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.banking.connections import ConnectionSummary, SyncResult
from app.services.formatting import format_amount, format_date
from app.services.i18n import _, ngettext


@dataclass(frozen=True, slots=True)
class SyncedConnection:
    """One connection's sync (or why it failed), with account names so the results speak of accounts, not IBANs."""

    connection: ConnectionSummary
    result: SyncResult | None
    names: dict[str, str]
    error: str = ""

    @property
    def warnings(self) -> int:
        return self.result.warnings if self.result else 0


class SyncResultsDialog(QDialog):
    """Per account: new bookings, duplicates, the bank's balance, and each warning as a child row."""

    def __init__(self, synced: Sequence[SyncedConnection], *, summary: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncResultsDialog")
        self.setWindowTitle(_("Sync results"))
        self.setMinimumSize(900, 340)
        heading = QLabel(summary)
        heading.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([_("Account"), _("New"), _("Duplicates"), _("Balance"), _("Status")])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.tree.setWordWrap(True)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 340)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self._warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for item in synced:
            self._add_connection(item)
        self.tree.expandAll()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)

    def _add_connection(self, item: SyncedConnection) -> None:
        top = QTreeWidgetItem([f"{item.connection.bank_name} ({item.connection.login})"])
        font = top.font(0)
        font.setBold(True)
        top.setFont(0, font)
        self.tree.addTopLevelItem(top)
        if item.result is None:
            top.setText(4, _("Not synced"))
            top.setIcon(4, self._warning)
            self._add_note(top, item.error)
            return
        for account in item.result.accounts:
            name = item.names.get(account.iban) or ""
            balance = _("none")
            if account.balance is not None and account.balance_on is not None:
                balance = _("{amount} on {day}").format(
                    amount=format_amount(account.balance), day=format_date(account.balance_on)
                )
            status = ngettext("{n} warning", "{n} warnings", len(account.warnings)).format(n=len(account.warnings))
            if not account.warnings:
                status = _("OK")
            row = QTreeWidgetItem(
                [f"{name} · {account.iban}" if name else account.iban, str(account.new), str(account.duplicates),
                 balance, status]
            )  # fmt: skip
            for column in (1, 2, 3):
                row.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if account.warnings:
                row.setIcon(4, self._warning)
            top.addChild(row)
            for warning in account.warnings:
                self._add_note(row, warning)

    def _add_note(self, parent: QTreeWidgetItem, text: str) -> None:
        """A warning or error under its row, across all columns; the tooltip holds it whole."""
        note = QTreeWidgetItem([text])
        note.setToolTip(0, text)
        parent.addChild(note)
        note.setFirstColumnSpanned(True)
