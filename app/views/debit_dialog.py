"""The SEPA direct debit form: only customers with an active mandate can be picked."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.models.payments import MandateStatus
from app.services.formatting import format_date, grouped_iban, parse_amount
from app.services.i18n import _
from app.services.ledger.database import Ledger
from app.services.payments.mandates import MandateRow, list_mandates
from app.services.payments.orders import create_debit
from app.services.payments.sepa_checks import PaymentError
from app.views.jobs import JobRunner
from app.views.sign_in_dialog import Identity
from app.views.transfer_dialog import (
    FieldErrors,
    OrderDialog,
    account_combo,
    error_label,
    field_row,
)


class DebitDialog(OrderDialog):
    """New direct debit; `created` carries the OrderResult. The collection date follows the lead time rules."""

    loaded = Signal(int)  # customers offered

    def __init__(
        self,
        ledger: Ledger,
        *,
        runner: JobRunner,
        identity: Identity,
        account_ibans: Sequence[str] = (),
        account_names: Mapping[str, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runner, parent)
        self._ledger = ledger
        self._identity = identity
        self.setWindowTitle(_("New direct debit"))
        self._build(account_ibans, account_names or {})
        self._load()

    def _build(self, account_ibans: Sequence[str], account_names: Mapping[str, str]) -> None:
        self.general_error = error_label()
        self.errors = FieldErrors(self.general_error, fit=True)
        self.account_combo = account_combo(account_ibans, account_names)
        self.customer_combo = QComboBox()
        self.customer_combo.setMinimumWidth(360)  # the form's width: the layout sizes the dialog to its content
        self.mandate_label = QLabel()
        self.mandate_label.setObjectName("hintLabel")
        self.amount_edit = QLineEdit()
        self.amount_edit.setPlaceholderText(_("empty: the invoice's open amount"))
        self.text_edit = QLineEdit()
        self.text_edit.setMaxLength(140)
        self.invoice_edit = QLineEdit()
        self.invoice_edit.setPlaceholderText(_("optional"))
        self.b2b_check = QCheckBox(_("B2B direct debit (business customer, mandate lodged with their bank)"))
        form = QFormLayout()
        if len(account_ibans) > 1:
            account_error = self.errors.add("from_account", error_label())
            form.addRow(_("To account"), field_row(self.account_combo, account_error))
        form.addRow(_("Customer"), field_row(self.customer_combo, self.errors.add("customer", error_label()),
                                             self.mandate_label))  # fmt: skip
        form.addRow(_("Invoice number"), field_row(self.invoice_edit, self.errors.add("invoice", error_label())))
        form.addRow(_("Amount (EUR)"), field_row(self.amount_edit, self.errors.add("amount", error_label())))
        form.addRow(_("Remittance text"), field_row(self.text_edit, self.errors.add("text", error_label())))
        form.addRow("", self.b2b_check)
        self.warning_label = QLabel()
        self.warning_label.setObjectName("warningBox")
        self.warning_label.setWordWrap(True)
        self.warning_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Add to payment run"))
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self.customer_combo.currentIndexChanged.connect(self._on_customer_combo_current_index_changed)
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # grows as feedback lines appear
        layout.addLayout(form)
        layout.addWidget(self.general_error)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.buttons)

    def _load(self) -> None:
        ledger = self._ledger

        def load(cancel: threading.Event, progress: Callable[[int, int], None]) -> list[MandateRow]:
            return [row for row in list_mandates(ledger) if row.status == MandateStatus.ACTIVE]

        self._runner.run(load, on_success=self._on_loaded, parent=self)

    def _on_loaded(self, mandates: list[MandateRow]) -> None:
        self.customer_combo.clear()
        for mandate in mandates:
            self.customer_combo.addItem(f"{mandate.customer_number} · {mandate.customer_name}", mandate)
        if not mandates:
            self.errors.show(PaymentError("customer", _("No customer has an active mandate; add one under Mandates…")))
        self.ok_button.setEnabled(bool(mandates))
        self.loaded.emit(len(mandates))

    def _on_customer_combo_current_index_changed(self, index: int) -> None:
        mandate: MandateRow | None = self.customer_combo.currentData()
        self.mandate_label.setText(
            _("Mandate {reference} ({scheme}) signed {signed}, account {iban}").format(
                reference=mandate.reference,
                scheme=mandate.scheme,
                signed=format_date(mandate.signed_on),
                iban=grouped_iban(mandate.debtor_iban),
            )
            if mandate
            else ""
        )
        if mandate is not None:
            self.b2b_check.setChecked(mandate.scheme == "B2B")

    def _on_buttons_accepted(self) -> None:
        self.errors.clear()
        mandate: MandateRow | None = self.customer_combo.currentData()
        if mandate is None:
            return
        try:
            amount = parse_amount(self.amount_edit.text()) if self.amount_edit.text().strip() else None
        except ValueError:
            self.errors.show(PaymentError("amount", _("{text} is not an amount.").format(text=self.amount_edit.text())))
            return
        ledger, actor = self._ledger, self._identity.actor()
        values = {
            "customer_number": mandate.customer_number,
            "amount": amount,
            "text": self.text_edit.text().strip(),
            "invoice_number": self.invoice_edit.text().strip() or None,
            "b2b": self.b2b_check.isChecked(),
            "account_iban": self.account_combo.currentData(),
        }

        self._create_order(partial(create_debit, ledger, actor=actor), values)
