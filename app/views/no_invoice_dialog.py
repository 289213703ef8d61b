"""What bookings without an invoice are (salary, tax, transfer between own accounts…), for one or several at
once, and whether their account is always such a payment (a rule for the next imports)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.services.formatting import grouped_iban
from app.services.i18n import _, ngettext
from app.services.reconciliation.no_invoice import CATEGORIES


class NoInvoiceDialog(QDialog):
    """Asks only; the page marks the bookings in a job and shows the service's refusal (an assigned booking)."""

    def __init__(self, count: int, iban: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("No invoice"))
        self.setMinimumWidth(440)
        self.category_combo = QComboBox()
        for key, label in CATEGORIES.items():
            self.category_combo.addItem(_(label), key)
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText(_("optional, e.g. 'Lohn März'"))
        self.rule_check = QCheckBox(
            _("Always for {iban} (also future bookings)").format(iban=grouped_iban(iban))
            if iban
            else _("Always for this account")
        )
        self.rule_check.setEnabled(bool(iban))
        if not iban:
            self.rule_check.setToolTip(_("Only for bookings of one and the same account."))
        form = QFormLayout()
        form.addRow(
            "", QLabel(ngettext("{n} booking without invoice", "{n} bookings without invoice", count).format(n=count))
        )
        form.addRow(_("What it is:"), self.category_combo)
        form.addRow(_("Note:"), self.note_edit)
        form.addRow("", self.rule_check)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def choice(self) -> tuple[str, str, bool]:
        """(category, note, rule for the IBAN)."""
        return str(self.category_combo.currentData()), self.note_edit.text().strip(), self.rule_check.isChecked()
