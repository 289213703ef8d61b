"""The Forecast page's two small forms: a planned receipt or payment, and an account's credit line.

They only collect text; the page parses and writes in a job, and a wrong amount keeps the dialog open with the reason.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.services.formatting import parse_amount, to_cents
from app.services.i18n import _
from app.views.date_fields import date_edit
from app.views.passphrase_widgets import error_label, show_error


class _AmountDialog(QDialog):
    """OK only with an amount that parses; the form rows come from the subclass."""

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self.amount_edit = QLineEdit()
        self.form = QFormLayout()
        self.error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.cents = 0

    def _on_buttons_accepted(self) -> None:
        try:
            self.cents = to_cents(parse_amount(self.amount_edit.text()))
        except ValueError as problem:
            show_error(self.error, str(problem))
            return
        self.accept()


class PlannedItemDialog(_AmountDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_("Plan a receipt or payment"), parent)
        self.date_edit = date_edit(date.today() + timedelta(days=7))
        self.text_edit = QLineEdit()
        self.amount_edit.setPlaceholderText(_("+ for a receipt, - for a payment"))
        self.form.addRow(_("Date:"), self.date_edit)
        self.form.addRow(_("Amount:"), self.amount_edit)
        self.form.addRow(_("Text:"), self.text_edit)

    def day(self) -> date:
        chosen = self.date_edit.date()
        return date(chosen.year(), chosen.month(), chosen.day())


class CreditLineDialog(_AmountDialog):
    def __init__(self, accounts: list[tuple[int, str, int]], parent: QWidget | None = None) -> None:
        """`accounts`: (id, label, current credit line in cents)."""
        super().__init__(_("Credit line"), parent)
        self.account_combo = QComboBox()
        for account_id, label, _cents in accounts:
            self.account_combo.addItem(label, account_id)
        self.form.addRow(_("Account:"), self.account_combo)
        self.form.addRow(_("Overdraft limit:"), self.amount_edit)

    def account_id(self) -> int:
        return int(self.account_combo.currentData())
