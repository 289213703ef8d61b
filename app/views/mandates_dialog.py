"""SEPA mandates: record signed ones, amend account or reference (the bank is told on the next debit), revoke."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QItemSelection, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.models.payments import MandateStatus
from app.services.i18n import _
from app.services.ledger.database import Ledger
from app.services.payments.mandates import (
    MandateRow,
    add_mandate,
    amend_mandate,
    b2b_confirmation_hint,
    list_mandates,
    revoke_mandate,
)
from app.services.payments.sepa_checks import PaymentError, iban_bank
from app.views.date_fields import date_edit
from app.views.errors import present_error
from app.views.jobs import JobRunner
from app.views.mandate_table_model import MandateColumn, MandateTableModel
from app.views.sign_in_dialog import Identity
from app.views.tables import new_table
from app.views.transfer_dialog import FieldErrors, error_label, field_row


class MandatesDialog(QDialog):
    """All mandates with a form below; the selected mandate is amended or revoked, a new one added."""

    loaded = Signal(int)  # mandates shown
    changed = Signal()  # a mandate was added, amended or revoked

    def __init__(self, ledger: Ledger, *, runner: JobRunner, identity: Identity, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ledger = ledger
        self._identity = identity
        self._runner = runner
        self.setWindowTitle(_("SEPA mandates"))
        self.resize(1040, 560)
        self._build()
        self.refresh()

    def _build(self) -> None:
        self.model = MandateTableModel(self)
        widths = {
            MandateColumn.CUSTOMER: 210,
            MandateColumn.REFERENCE: 140,
            MandateColumn.SIGNED: 100,
            MandateColumn.SCHEME: 70,
            MandateColumn.DEBTOR: 170,
            MandateColumn.IBAN: 215,
        }
        self.table = new_table(self.model, widths=widths)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)

        self.general_error = error_label()
        self.errors = FieldErrors(self.general_error)
        self.customer_edit = QLineEdit()
        self.customer_edit.setPlaceholderText(_("customer number, e.g. K-200"))
        self.reference_edit = QLineEdit()
        self.signed_edit = date_edit(date.today())
        self.iban_edit = QLineEdit()
        self.bank_label = QLabel()
        self.bank_label.setObjectName("hintLabel")
        self.bic_edit = QLineEdit()
        self.bic_edit.setEnabled(False)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(_("empty: the customer's name"))
        self.scheme_combo = QComboBox()
        self.scheme_combo.addItem(_("CORE (consumers and businesses)"), "CORE")
        self.scheme_combo.addItem(_("B2B (businesses only)"), "B2B")
        self.recurring_check = QCheckBox(_("Recurring collections"))
        self.recurring_check.setChecked(True)
        self.iban_edit.textChanged.connect(self._on_iban_edit_text_changed)

        form_box = QGroupBox(_("Mandate"))
        form = QFormLayout(form_box)
        form.addRow(_("Customer"), field_row(self.customer_edit, self.errors.add("customer", error_label())))
        form.addRow(_("Reference"), field_row(self.reference_edit, self.errors.add("reference", error_label())))
        form.addRow(_("Signed on"), field_row(self.signed_edit, self.errors.add("signed", error_label())))
        form.addRow(_("IBAN"), field_row(self.iban_edit, self.errors.add("iban", error_label()), self.bank_label))
        form.addRow(_("BIC"), field_row(self.bic_edit, self.errors.add("bic", error_label())))
        form.addRow(_("Account holder"), field_row(self.name_edit, self.errors.add("name", error_label())))
        form.addRow(_("Scheme"), field_row(self.scheme_combo, self.errors.add("scheme", error_label())))
        form.addRow("", self.recurring_check)

        self.add_button = QPushButton(_("Add mandate"))
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.amend_button = QPushButton(_("Amend selected"))
        self.amend_button.setToolTip(_("Change reference, IBAN or account holder of the selected mandate."))
        self.amend_button.clicked.connect(self._on_amend_button_clicked)
        self.revoke_button = QPushButton(_("Revoke selected"))
        self.revoke_button.clicked.connect(self._on_revoke_button_clicked)
        self.close_button = QPushButton(_("Close"))
        self.close_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.amend_button, self.revoke_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(form_box)
        layout.addWidget(self.general_error)
        layout.addLayout(buttons)
        self._on_table_selection_changed()

    def refresh(self) -> None:
        ledger = self._ledger

        def load(cancel: threading.Event, progress: Callable[[int, int], None]) -> list[MandateRow]:
            return list_mandates(ledger)

        self._runner.run(load, on_success=self._on_loaded, parent=self)

    def _on_loaded(self, rows: list[MandateRow]) -> None:
        self.model.set_rows(rows)
        self._on_table_selection_changed()
        self.loaded.emit(len(rows))

    def selected(self) -> MandateRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _on_table_selection_changed(
        self, selected: QItemSelection | None = None, deselected: QItemSelection | None = None
    ) -> None:
        mandate = self.selected()
        active = mandate is not None and mandate.status == MandateStatus.ACTIVE
        self.amend_button.setEnabled(active)
        self.revoke_button.setEnabled(active)
        if mandate is not None:
            self.customer_edit.setText(mandate.customer_number)
            self.reference_edit.setText(mandate.reference)
            self.iban_edit.setText(mandate.debtor_iban)
            self.name_edit.setText(mandate.debtor_name)

    def _on_iban_edit_text_changed(self, text: str) -> None:
        self.errors.clear("iban")
        try:
            bank = iban_bank(text)
        except PaymentError:
            self.bank_label.clear()
            self.bic_edit.setEnabled(False)
            return
        self.bank_label.setText(f"{bank.bank_name} · BIC {bank.bic}" if bank.bic else bank.bank_name)
        self.bic_edit.setEnabled(not bank.bic)

    def _write(self, fn: Callable[[], MandateRow]) -> None:
        self.errors.clear()

        def write(cancel: threading.Event, progress: Callable[[int, int], None]) -> MandateRow:
            return fn()

        self._runner.run(write, on_success=self._on_written, on_failure=self._on_failed, writes=True, parent=self)

    def _on_written(self, row: MandateRow) -> None:
        self.changed.emit()
        self.refresh()
        if row.scheme == "B2B" and row.status == MandateStatus.ACTIVE and row.last_used_on is None:
            QMessageBox.information(self, _("B2B mandate"), b2b_confirmation_hint(row))  # added or amended

    def _on_failed(self, error: BaseException) -> None:
        if isinstance(error, PaymentError):
            self.errors.show(error)
        else:
            present_error(error, parent=self)

    def _on_add_button_clicked(self) -> None:
        ledger, actor = self._ledger, self._identity.actor()
        values = {
            "customer_number": self.customer_edit.text().strip(),
            "reference": self.reference_edit.text().strip(),
            "signed_on": self.signed_edit.date().toPython(),
            "iban": self.iban_edit.text().strip(),
            "bic": self.bic_edit.text().strip() if self.bic_edit.isEnabled() else "",
            "name": self.name_edit.text().strip(),
            "scheme": self.scheme_combo.currentData(),
            "recurring": self.recurring_check.isChecked(),
        }
        self._write(lambda: add_mandate(ledger, actor=actor, **values))

    def _on_amend_button_clicked(self) -> None:
        mandate = self.selected()
        if mandate is None:
            return
        ledger, actor, reference = self._ledger, self._identity.actor(), mandate.reference
        new_reference = self.reference_edit.text().strip()
        iban = self.iban_edit.text().strip()
        bic = self.bic_edit.text().strip() if self.bic_edit.isEnabled() else ""
        name = self.name_edit.text().strip()
        self._write(
            lambda: amend_mandate(
                ledger, reference, new_reference=new_reference, iban=iban, bic=bic, name=name, actor=actor
            )  # fmt: skip
        )

    def _on_revoke_button_clicked(self) -> None:
        mandate = self.selected()
        if mandate is None:
            return
        ledger, actor, reference = self._ledger, self._identity.actor(), mandate.reference
        self._write(lambda: revoke_mandate(ledger, reference, actor=actor))
