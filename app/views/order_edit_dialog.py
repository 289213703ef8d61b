"""Change an order's amount and remittance text; the service voids any approval of its run."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.services.formatting import format_amount
from app.services.i18n import _
from app.services.payments.runs import OrderRow


class OrderEditDialog(QDialog):
    """Asks for the new values only; the page writes them in a job and shows the service's errors."""

    def __init__(self, order: OrderRow, *, approved: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Change order"))
        self.setMinimumWidth(420)
        self.amount_edit = QLineEdit(format_amount(order.amount, "").strip())
        self.text_edit = QLineEdit(order.remittance)
        self.text_edit.setMaxLength(140)
        form = QFormLayout()
        form.addRow(_("Recipient:"), QLabel(order.name))
        form.addRow(_("Amount:"), self.amount_edit)
        form.addRow(_("Remittance text:"), self.text_edit)
        self.note_label = QLabel(
            _("The run is approved: after this change it needs approving again.") if approved else ""
        )
        self.note_label.setObjectName("hintLabel")
        self.note_label.setWordWrap(True)
        self.note_label.setVisible(approved)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note_label)
        layout.addWidget(buttons)
        self._original = (order.amount, order.remittance)

    def changes(self) -> tuple[str | None, str | None]:
        """(amount text, remittance) with None for what the user left as it was."""
        amount = self.amount_edit.text().strip()
        text = self.text_edit.text()
        unchanged_amount = amount == format_amount(self._original[0], "").strip() or not amount
        return (None if unchanged_amount else amount, None if text == self._original[1] else text)
