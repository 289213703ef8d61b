"""Four-eyes approval of one payment run: what will leave the account, what looks unusual, and who signs it off.

The summary's content digest goes back into `approve_run`, so an approval always covers what the approver saw."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
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

from app.services.formatting import format_amount, format_date, grouped_iban
from app.services.i18n import _, ngettext
from app.services.ledger.database import Ledger
from app.services.ledger.users import SignedInUser, UserError, sign_in
from app.services.payments.account_confirmation import confirm_payee_account
from app.services.payments.approvals import ApprovalResult, ApprovalSummary, approval_summary, approve_run
from app.services.payments.orders import move_orders, take_bank_name
from app.services.payments.runs import OPEN_STATUSES, OrderRow, RunRow, reject_run
from app.services.payments.sepa_checks import PaymentError
from app.views.errors import present_error
from app.views.jobs import JobRunner
from app.views.payment_order_table_model import WARNING_KINDS, OrderColumn, PaymentOrderTableModel
from app.views.payment_run_table_model import KIND_LABELS, STATUS_LABELS
from app.views.sign_in_dialog import Identity
from app.views.tables import new_table
from app.views.tone import set_tone
from app.views.transfer_dialog import FieldErrors, error_label, field_row


def grouped_warnings(summary: ApprovalSummary) -> list[str]:
    """One line per kind of warning with the recipients it concerns (each message is in the order's tool tip), and
    each payee check that questioned an order: the approver reads what to look at, not a wall of sentences."""
    names = {order.id: order.name for order in summary.orders}
    by_kind: dict[str, list[str]] = {}
    for warning in summary.warnings:
        who = names.get(warning.order_id, "") if warning.order_id is not None else warning.message
        concerned = by_kind.setdefault(warning.kind, [])
        if who not in concerned:
            concerned.append(who)
    lines = [f"⚠ {_(WARNING_KINDS.get(kind, kind))} ({len(who)}): {', '.join(who)}" for kind, who in by_kind.items()]
    lines += [f"⚠ {order.name}: {order.payee_check_text}" for order in summary.orders
              if order.payee_check and order.payee_check != "RCVC"]  # fmt: skip
    return lines


class ApprovalDialog(QDialog):
    """Approve or reject a run; the service decides who may (creators and bookkeepers are refused inline)."""

    loaded = Signal(object)  # ApprovalSummary
    approved = Signal(object)  # ApprovalResult, also when a second approver is still needed
    run_rejected = Signal(object)  # RunRow
    order_excluded = Signal(int)  # the draft run the order went to

    def __init__(
        self, ledger: Ledger, run_id: int, *, runner: JobRunner, identity: Identity, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ledger = ledger
        self._identity = identity
        self._runner = runner
        self.run_id = run_id
        self.summary: ApprovalSummary | None = None
        self.setWindowTitle(_("Approve payment run {id}").format(id=run_id))
        self.resize(880, 620)
        self._build()
        self.reload()

    def _build(self) -> None:
        self.title_label = QLabel()
        self.title_label.setObjectName("dialogHeading")
        self.title_label.setWordWrap(True)
        self.people_label = QLabel()
        self.people_label.setObjectName("hintLabel")
        self.people_label.setWordWrap(True)
        self.warnings_label = QLabel()
        self.warnings_label.setObjectName("warningBox")
        self.warnings_label.setWordWrap(True)
        self.warnings_label.hide()

        self.model = PaymentOrderTableModel(self)
        widths = {OrderColumn.RECIPIENT: 160, OrderColumn.IBAN: 215, OrderColumn.AMOUNT: 95, OrderColumn.TEXT: 120,
                  OrderColumn.WARNINGS: 130}  # fmt: skip
        self.table = new_table(self.model, widths=widths)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.bank_name_button = QPushButton(_("Use the bank's name"))
        self.bank_name_button.setToolTip(
            _("Take the account holder's name the bank gave on a close match into the order and the supplier.")
        )
        self.bank_name_button.setEnabled(False)
        self.bank_name_button.clicked.connect(self._on_bank_name_button_clicked)
        self.account_button = QPushButton(_("Account confirmed…"))
        self.account_button.setToolTip(
            _("After you called the supplier at a number you already had: make the account the invoice names "
              "their account on record.")
        )  # fmt: skip
        self.account_button.setEnabled(False)
        self.account_button.clicked.connect(self._on_account_button_clicked)
        self.exclude_button = QPushButton(_("Exclude order"))
        self.exclude_button.setToolTip(
            _("Take the selected order out of this run into a draft of its own; the rest can be approved.")
        )
        self.exclude_button.setEnabled(False)
        self.exclude_button.clicked.connect(self._on_exclude_button_clicked)

        self.general_error = error_label()
        self.errors = FieldErrors(self.general_error)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.hide()
        self.user_edit = QLineEdit()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.approve_button = QPushButton(_("Approve"))
        self.approve_button.setDefault(True)
        self.approve_button.clicked.connect(self._on_approve_button_clicked)
        login = QGroupBox(_("Approver"))
        login_form = QFormLayout(login)
        login_form.addRow(_("User name"), field_row(self.user_edit, self.errors.add("user", error_label())))
        login_form.addRow(_("Password"), field_row(self.password_edit, self.errors.add("password", error_label())))
        login_form.addRow("", self.approve_button)

        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText(_("Why the run must not go out"))
        self.reject_button = QPushButton(_("Reject run"))
        self.reject_button.clicked.connect(self._on_reject_button_clicked)
        reject_box = QGroupBox(_("Reject"))
        reject_row = QHBoxLayout(reject_box)
        reject_row.addWidget(field_row(self.reason_edit, self.errors.add("reason", error_label())), 1)
        reject_row.addWidget(self.reject_button)

        self.close_button = QPushButton(_("Close"))
        self.close_button.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.people_label)
        layout.addWidget(self.warnings_label)
        layout.addWidget(self.table, 1)
        order_actions = QHBoxLayout()
        order_actions.addStretch(1)
        order_actions.addWidget(self.exclude_button)
        order_actions.addWidget(self.bank_name_button)
        order_actions.addWidget(self.account_button)
        layout.addLayout(order_actions)
        layout.addWidget(login)
        layout.addWidget(reject_box)
        layout.addWidget(self.general_error)
        layout.addWidget(self.result_label)
        layout.addLayout(bottom)

    # -- summary ----------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the summary again (after a partial approval, or when the run changed meanwhile)."""
        ledger, run_id = self._ledger, self.run_id

        def load(cancel: threading.Event, progress: Callable[[int, int], None]) -> ApprovalSummary:
            return approval_summary(ledger, run_id)

        self._runner.run(load, on_success=self._on_loaded, parent=self)

    def _on_loaded(self, summary: ApprovalSummary) -> None:
        self.summary = summary
        kind = _(KIND_LABELS.get(summary.kind, summary.kind))
        count = ngettext("{count} order", "{count} orders", summary.count).format(count=summary.count)
        self.title_label.setText(
            _("{kind} run {id}: {count}, {total} on {date} from {account}").format(
                kind=kind,
                id=summary.run_id,
                count=count,
                total=format_amount(summary.total),
                date=format_date(summary.execution_on),
                account=grouped_iban(summary.account_iban),
            )
        )
        people = [_("Created by {name}.").format(name=summary.created_by)]
        if summary.approved_by:
            people.append(_("Approved by {names}.").format(names=", ".join(summary.approved_by)))
        if summary.needed:
            people.append(_("Still needed: {what}").format(what=summary.needed))
        else:
            people.append(_("Status: {status}").format(status=_(STATUS_LABELS.get(summary.status, summary.status))))
        text = " ".join(people)
        if summary.balance is not None and summary.balance_after is not None:
            text += "\n" + _("{account}: {before} now, {after} after this run.").format(
                account=summary.account_name or grouped_iban(summary.account_iban),
                before=format_amount(summary.balance),
                after=format_amount(summary.balance_after),
            )
        self.people_label.setText(text)
        lines = grouped_warnings(summary)
        self.warnings_label.setText("\n".join([_("Please check before approving:"), *lines]))
        self.warnings_label.setVisible(bool(lines))
        self.model.set_rows(summary.orders, summary.warnings)
        hidden = self.model.hidden_columns(summary.kind)
        for column in OrderColumn:
            self.table.setColumnHidden(column, column in hidden)
        self.loaded.emit(summary)

    def _selected_order(self) -> OrderRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if len(rows) == 1 else None

    def _on_selection_changed(self, *args: object) -> None:
        order = self._selected_order()
        self.bank_name_button.setEnabled(
            order is not None and order.payee_check == "RVMC" and bool(order.payee_bank_name)
        )
        summary = self.summary
        changeable = summary is not None and summary.status in OPEN_STATUSES and summary.count > 1
        self.exclude_button.setEnabled(order is not None and changeable)
        self.account_button.setEnabled(
            order is not None and bool(order.invoice_number) and "changed_iban" in self.model.warning_kinds(order.id)
        )

    def _on_bank_name_button_clicked(self) -> None:
        order = self._selected_order()
        if order is None:
            return
        ledger, actor, order_id = self._ledger, self._identity.actor(), order.id

        def take(cancel: threading.Event, progress: Callable[[int, int], None]) -> str:
            return take_bank_name(ledger, order_id, actor=actor)

        self._runner.run(
            take, on_success=self._on_bank_name_taken, on_failure=self._on_failed, writes=True, parent=self
        )

    def _on_account_button_clicked(self) -> None:
        order = self._selected_order()
        if order is None:
            return
        question = _(
            "Did you call {name} at a number you already had, and did they confirm that {iban} is their account?"
        ).format(name=order.name, iban=grouped_iban(order.iban))
        if QMessageBox.question(self, _("Confirm the new account"), question) != QMessageBox.StandardButton.Yes:
            return
        ledger, actor, order_id = self._ledger, self._identity.actor(), order.id

        def confirm(cancel: threading.Event, progress: Callable[[int, int], None]) -> str:
            return confirm_payee_account(ledger, order_id, actor=actor)

        def done(supplier: str) -> None:
            self.result_label.setText(
                _("{iban} is now {name}'s account on record.").format(iban=grouped_iban(order.iban), name=supplier)
            )
            set_tone(self.result_label, "hint")
            self.result_label.show()
            self.reload()

        self._runner.run(confirm, on_success=done, on_failure=self._on_failed, writes=True, parent=self)

    def _on_exclude_button_clicked(self) -> None:
        order = self._selected_order()
        if order is None:
            return
        ledger, actor, order_id = self._ledger, self._identity.actor(), order.id

        def exclude(cancel: threading.Event, progress: Callable[[int, int], None]) -> int:
            return move_orders(ledger, [order_id], actor=actor)

        def done(run_id: int) -> None:
            self.result_label.setText(
                _("The order to {name} is now in draft run {run}; this run can be approved without it.").format(
                    name=order.name, run=run_id
                )
            )
            set_tone(self.result_label, "hint")
            self.result_label.show()
            self.order_excluded.emit(run_id)
            self.reload()

        self._runner.run(exclude, on_success=done, on_failure=self._on_failed, writes=True, parent=self)

    def _on_bank_name_taken(self, name: str) -> None:
        self.result_label.setText(_("The order now goes to “{name}”; the run needs a new approval.").format(name=name))
        set_tone(self.result_label, "hint")
        self.result_label.show()
        self.reload()

    # -- approving and rejecting ------------------------------------------------------------------
    def _on_approve_button_clicked(self) -> None:
        if self.summary is None:
            return
        self.errors.clear()
        self.result_label.hide()
        ledger, run_id, digest = self._ledger, self.run_id, self.summary.digest
        user_name, password = self.user_edit.text().strip(), self.password_edit.text()

        def approve(cancel: threading.Event, progress: Callable[[int, int], None]) -> ApprovalResult:
            approver: SignedInUser = sign_in(ledger, user_name, password)
            return approve_run(ledger, run_id, approver=approver, seen_digest=digest)

        self.approve_button.setEnabled(False)
        self._runner.run(approve, on_success=self._on_approved, on_failure=self._on_failed, writes=True, parent=self)

    def _on_failed(self, error: BaseException) -> None:
        self.approve_button.setEnabled(True)
        if isinstance(error, PaymentError):
            self.errors.show(error)
        elif isinstance(error, UserError):
            self.errors.show(PaymentError("password", str(error)))
        else:
            present_error(error, parent=self)

    def _on_approved(self, result: ApprovalResult) -> None:
        self.approve_button.setEnabled(True)
        self.password_edit.clear()
        self.result_label.setText(result.message)
        set_tone(self.result_label, "ok" if result.approved else "hint")
        self.result_label.show()
        self.approved.emit(result)
        self.reload()

    def _on_reject_button_clicked(self) -> None:
        self.errors.clear()
        ledger, run_id = self._ledger, self.run_id
        reason = self.reason_edit.text().strip()
        actor = self._identity.actor()

        def reject(cancel: threading.Event, progress: Callable[[int, int], None]) -> RunRow:
            return reject_run(ledger, run_id, reason=reason, actor=actor)

        self._runner.run(reject, on_success=self._on_rejected, on_failure=self._on_failed, writes=True, parent=self)

    def _on_rejected(self, row: RunRow) -> None:
        self.result_label.setText(_("Run {id} is rejected.").format(id=row.id))
        set_tone(self.result_label, "hint")
        self.result_label.show()
        self.run_rejected.emit(row)
        self.reload()
