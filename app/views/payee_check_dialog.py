"""The bank's verification of payee, put to the approver before the TAN: send anyway, or stop."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from app.services.banking.prompts import PayeeCheck
from app.services.formatting import grouped_iban
from app.services.i18n import _


class PayeeCheckDialog(QDialog):
    """What the bank found, its liability notice verbatim, and "Do not send" as the default button."""

    def __init__(self, check: PayeeCheck, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("payeeCheckDialog")
        self.setWindowTitle(_("Verification of payee"))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        self.summary = QLabel(check.summary())
        self.summary.setObjectName("payeeCheckSummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        if check.iban:
            layout.addWidget(QLabel(_("Payee's IBAN: {iban}").format(iban=grouped_iban(check.iban))))
        self.notice = QLabel(check.notice)
        self.notice.setWordWrap(True)
        self.notice.setVisible(bool(check.notice))
        layout.addWidget(self.notice)
        question = QLabel(_("Send the transfer anyway? Only if you are sure who holds the account."))
        question.setWordWrap(True)
        layout.addWidget(question)
        buttons = QDialogButtonBox()
        self.send_button = buttons.addButton(_("Send anyway"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.stop_button = buttons.addButton(_("Do not send"), QDialogButtonBox.ButtonRole.RejectRole)
        self.send_button.setAutoDefault(False)  # Enter must never send a questioned transfer
        self.stop_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
