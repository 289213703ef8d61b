"""The SEPA transfer form: live IBAN and text feedback while typing, the service's refusal next to its field."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.formatting import grouped_iban, parse_amount
from app.services.i18n import _
from app.services.ledger.database import Ledger
from app.services.ledger.users import UserError
from app.services.payments.business_days import next_business_day
from app.services.payments.orders import OrderResult, WarningsToConfirm, create_transfer
from app.services.payments.sepa_checks import REMITTANCE_LENGTH, PaymentError, iban_bank, transliterate
from app.views.date_fields import date_edit, to_qdate
from app.views.errors import present_error
from app.views.jobs import JobRunner
from app.views.sign_in_dialog import Identity
from app.views.tone import set_tone


def error_label() -> QLabel:
    """A red line under a field, hidden until the service names that field."""
    label = QLabel()
    set_tone(label, "error")
    label.setWordWrap(True)
    label.hide()
    return label


class FieldErrors:
    """Shows a `PaymentError` under the field it names, or in the general line when no field matches."""

    def __init__(self, general: QLabel, *, fit: bool = False) -> None:
        self._general = general
        self._fit = fit  # small forms follow their content; big resizable dialogs keep their size
        self._labels: dict[str, QLabel] = {}

    def add(self, field: str, label: QLabel) -> QLabel:
        self._labels[field] = label
        return label

    def clear(self, field: str | None = None) -> None:
        for name, label in [*self._labels.items(), ("", self._general)]:
            if field is None or name == field:
                label.clear()
                label.hide()

    def show(self, error: PaymentError) -> None:
        label = self._labels.get(error.field, self._general)
        label.setText(error.message)
        label.show()
        if self._fit:
            fit_window(label)

    def text(self, field: str) -> str:
        """The message shown under a field, '' if none; lets tests read the form as the user sees it."""
        label = self._labels.get(field, self._general)
        return "" if label.isHidden() else label.text()


def fit_window(widget: QWidget) -> None:
    """Wrapped feedback lines change the form's height; the dialog follows, or rows would overlap."""
    widget.window().adjustSize()


def field_row(widget: QWidget, error: QLabel, extra: QLabel | None = None) -> QWidget:
    """A form field with its feedback lines below it."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(widget)
    if extra is not None:
        layout.addWidget(extra)
    layout.addWidget(error)
    return box


def account_combo(account_ibans: Sequence[str], account_names: Mapping[str, str]) -> QComboBox:
    """The own account to pay from, by its name and grouped IBAN; hidden by the forms when there is only one."""
    combo = QComboBox()
    for iban in account_ibans:
        name = account_names.get(iban, "")
        combo.addItem(f"{name} · {grouped_iban(iban)}" if name else grouped_iban(iban), iban)
    return combo


class OrderDialog(QDialog):
    """What the transfer and the direct-debit form share: create the order off the GUI thread and show field
    errors. An order with warnings (possible duplicate, changed IBAN, unusual amount) is not added at first: the
    warnings are shown with "Add anyway" and "Cancel", and only the same form values, confirmed, add it.

    A subclass builds `ok_button`, `buttons`, `warning_label` and `errors` and calls `_create_order`.
    """

    created = Signal(object)  # OrderResult
    ok_button: QPushButton
    buttons: QDialogButtonBox
    warning_label: QLabel
    errors: FieldErrors

    def __init__(self, runner: JobRunner, parent: QWidget | None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._warned_for: dict[str, object] | None = None  # the form values whose warnings the user has seen

    def _create_order(self, create: Callable[..., OrderResult], values: dict[str, object]) -> None:
        """Run `create(confirm_warnings=…, **values)` in a worker; warnings stop it unless shown for these values."""
        confirm = values != self._warned_for

        def job(cancel: threading.Event, progress: Callable[[int, int], None]) -> OrderResult:
            return create(confirm_warnings=confirm, **values)

        self.ok_button.setEnabled(False)
        self._runner.run(
            job,
            on_success=self._on_created,
            on_failure=lambda error: self._on_failed(error, values),
            writes=True,
            parent=self,
        )

    def _on_failed(self, error: BaseException, values: dict[str, object]) -> None:
        self.ok_button.setEnabled(True)
        if isinstance(error, WarningsToConfirm):
            self._ask_to_confirm(error, values)
        elif isinstance(error, PaymentError):
            self._forget_warnings()
            self.errors.show(error)
        elif isinstance(error, UserError):  # nobody signed in, or the user was deactivated meanwhile
            self.errors.show(PaymentError("", str(error)))
        else:
            present_error(error, parent=self)

    def _ask_to_confirm(self, error: WarningsToConfirm, values: dict[str, object]) -> None:
        """Show the warnings; the OK button becomes "Add anyway" for exactly these values."""
        self._warned_for = values
        self.warning_label.setText(
            _("Not added yet. Please check:") + "".join(f"\n• {warning.message}" for warning in error.warnings)
        )
        self.warning_label.show()
        self.ok_button.setText(_("Add anyway"))
        fit_window(self.warning_label)

    def _forget_warnings(self) -> None:
        self._warned_for = None
        self.warning_label.hide()
        self.ok_button.setText(_("Add to payment run"))

    def _on_created(self, result: OrderResult) -> None:
        self.created.emit(result)
        self.accept()


class TransferDialog(OrderDialog):
    """New SEPA transfer; `created` carries the service's OrderResult (with its warnings) after the write."""

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
        self.setWindowTitle(_("New transfer"))
        self._build(account_ibans, account_names or {})

    def _build(self, account_ibans: Sequence[str], account_names: Mapping[str, str]) -> None:
        self.general_error = error_label()
        self.errors = FieldErrors(self.general_error, fit=True)
        self.account_combo = account_combo(account_ibans, account_names)
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(140)
        self.iban_edit = QLineEdit()
        self.iban_edit.setPlaceholderText("DE00 0000 0000 0000 0000 00")
        self.iban_edit.setMinimumWidth(360)  # the form's width: the layout sizes the dialog to its content
        self.bank_label = QLabel()
        self.bank_label.setObjectName("hintLabel")
        self.bank_label.hide()
        self.bic_edit = QLineEdit()
        self.bic_edit.setEnabled(False)
        self.bic_edit.setToolTip(_("Derived from the IBAN where possible; enter it for other countries."))
        self.amount_edit = QLineEdit()
        self.amount_edit.setPlaceholderText(_("e.g. 1.234,56"))
        self.text_edit = QPlainTextEdit()
        self.text_edit.setTabChangesFocus(True)
        self.text_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.counter_label = QLabel()
        set_tone(self.counter_label, "hint")
        self.counter_label.setMinimumWidth(1)  # long texts are elided, never widen the dialog
        self.date_edit = date_edit(next_business_day(date.today()))
        self.date_edit.setMinimumDate(to_qdate(date.today()))
        self.instant_check = QCheckBox(_("Instant payment (arrives within seconds)"))
        self.invoice_edit = QLineEdit()
        self.invoice_edit.setPlaceholderText(_("optional"))

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        if len(account_ibans) > 1:
            account_error = self.errors.add("from_account", error_label())
            form.addRow(_("From account"), field_row(self.account_combo, account_error))
        form.addRow(_("Recipient"), field_row(self.name_edit, self.errors.add("name", error_label())))
        form.addRow(_("IBAN"), field_row(self.iban_edit, self.errors.add("iban", error_label()), self.bank_label))
        form.addRow(_("BIC"), field_row(self.bic_edit, self.errors.add("bic", error_label())))
        form.addRow(_("Amount (EUR)"), field_row(self.amount_edit, self.errors.add("amount", error_label())))
        form.addRow(_("Remittance text"), field_row(self.text_edit, self.errors.add("text", error_label()),
                                                    self.counter_label))  # fmt: skip
        form.addRow(_("Execution date"), field_row(self.date_edit, self.errors.add("date", error_label())))
        form.addRow("", self.instant_check)
        form.addRow(_("Invoice number"), field_row(self.invoice_edit, self.errors.add("invoice", error_label())))

        self.warning_label = QLabel()
        self.warning_label.setObjectName("warningBox")
        self.warning_label.setWordWrap(True)
        self.warning_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Add to payment run"))
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # grows as feedback lines appear
        layout.addLayout(form)
        layout.addWidget(self.general_error)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.buttons)

        self.iban_edit.textChanged.connect(self._on_iban_edit_text_changed)
        self.iban_edit.editingFinished.connect(self._on_iban_edit_editing_finished)
        self.text_edit.textChanged.connect(self._on_text_edit_text_changed)
        self._on_text_edit_text_changed()

    # -- live feedback ----------------------------------------------------------------------------
    def _on_iban_edit_text_changed(self, text: str) -> None:
        self.errors.clear("iban")
        try:
            bank = iban_bank(text)
        except PaymentError:
            self.bank_label.hide()
            self.bic_edit.setEnabled(False)
            self.bic_edit.clear()
            return
        self.bank_label.show()
        self.bank_label.setText(
            _("{bank} · BIC {bic}").format(bank=bank.bank_name or _("unknown bank"), bic=bank.bic)
            if bank.bic
            else (bank.bank_name or _("Bank not known: please enter the BIC."))
        )
        if bank.bic or not self.bic_edit.isEnabled():  # a derived BIC never stays for another bank
            self.bic_edit.setText(bank.bic)
        self.bic_edit.setEnabled(not bank.bic)
        fit_window(self)

    def _on_iban_edit_editing_finished(self) -> None:
        """A wrong IBAN is pointed out when the user leaves the field, not at every keystroke."""
        text = self.iban_edit.text().strip()
        if not text:
            return
        try:
            iban_bank(text)
        except PaymentError as error:
            self.errors.show(error)

    def _on_text_edit_text_changed(self) -> None:
        text = self.text_edit.toPlainText()
        sent = transliterate(text)
        counter = _("{length} of {limit} characters").format(length=len(sent), limit=REMITTANCE_LENGTH)
        if sent != text.strip():
            counter += " · " + _("sent as: {text}").format(text=sent)
        self.counter_label.setToolTip(counter)
        width = max(self.text_edit.width(), 360)
        self.counter_label.setText(self.fontMetrics().elidedText(counter, Qt.TextElideMode.ElideRight, width))
        set_tone(self.counter_label, "error" if len(sent) > REMITTANCE_LENGTH else "hint")

    # -- creating ---------------------------------------------------------------------------------
    def _on_buttons_accepted(self) -> None:
        self.errors.clear("amount")
        try:
            amount = parse_amount(self.amount_edit.text()) if self.amount_edit.text().strip() else None
        except ValueError:
            self.errors.show(PaymentError("amount", _("{text} is not an amount.").format(text=self.amount_edit.text())))
            return
        self.errors.clear()
        ledger, actor = self._ledger, self._identity.actor()
        values = {
            "name": self.name_edit.text().strip(),
            "iban": self.iban_edit.text().strip(),
            "bic": self.bic_edit.text().strip() if self.bic_edit.isEnabled() else "",
            "amount": amount,
            "text": self.text_edit.toPlainText().strip(),
            "execution_on": self.date_edit.date().toPython(),
            "instant": self.instant_check.isChecked(),
            "account_iban": self.account_combo.currentData(),
            "invoice_number": self.invoice_edit.text().strip() or None,
        }

        self._create_order(partial(create_transfer, ledger, actor=actor), values)
