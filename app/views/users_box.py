"""Settings › Users: who may create, approve and administer payments, with each approver's limit per run.

Every change runs as the signed-in admin (the services check the role again), except the very first user, who
becomes the ledger's admin and is signed in right away. Anyone signed in may change their own password.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.models.company import ROLES
from app.services.formatting import format_amount, parse_amount
from app.services.i18n import _
from app.services.ledger.database import Ledger
from app.services.ledger.users import (
    ADMIN,
    SignedInUser,
    add_user,
    change_password,
    change_role,
    deactivate_user,
    list_users,
    reactivate_user,
    sign_in,
)
from app.services.payments.settings import load_payment_config, set_approval_limit
from app.views.errors import is_user_error, present_error
from app.views.jobs import JobRunner, Progress
from app.views.passphrase_widgets import error_label, password_edit, show_error
from app.views.sign_in_dialog import ROLE_LABELS, Identity

APPROVING_ROLES = ("approver", ADMIN)


@dataclass(frozen=True, slots=True)
class UserLine:
    """One row of the table: the user and the limit per run that applies to them (None: no limit)."""

    name: str
    role: str
    active: bool
    limit: Decimal | None
    own_limit: bool


def user_lines(ledger: Ledger) -> list[UserLine]:
    with ledger.session() as session:
        users = list_users(session)
    config = load_payment_config(ledger)
    return [
        UserLine(
            name=user.name,
            role=user.role,
            active=user.active,
            limit=config.approval_limit(user.name),
            own_limit=user.name in config.approval_limits,
        )
        for user in users
    ]


def role_label(role: str) -> str:
    return _(ROLE_LABELS.get(role, role))


class NewUserDialog(QDialog):
    """Name, role and a password typed twice; the first user's role is fixed to admin."""

    def __init__(self, *, first: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Add user"))
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(80)
        self.role_combo = QComboBox()
        for role in ROLES:
            self.role_combo.addItem(role_label(role), role)
        if first:
            self.role_combo.setCurrentIndex(self.role_combo.findData(ADMIN))
            self.role_combo.setEnabled(False)
        self.password = password_edit()
        self.repeat = password_edit()
        self.error = error_label()
        form = QFormLayout()
        form.addRow(_("User name:"), self.name_edit)
        form.addRow(_("Role:"), self.role_combo)
        form.addRow(_("Password:"), self.password)
        form.addRow(_("Repeat password:"), self.repeat)
        hint = QLabel(
            _("The first user is the ledger's admin: they add the others.")
            if first
            else _("Bookkeepers prepare payments, approvers release them, admins also manage users.")
        )
        hint.setObjectName("hintLabel")
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)

    def _on_buttons_accepted(self) -> None:
        if not self.name_edit.text().strip():
            show_error(self.error, _("A user needs a name."))
        elif self.password.text() != self.repeat.text():
            show_error(self.error, _("The two passwords differ."))
        else:
            self.accept()


class NewPasswordDialog(QDialog):
    """A new password typed twice, for one named user."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("New password for {name}").format(name=name))
        self.password = password_edit()
        self.repeat = password_edit()
        self.error = error_label()
        form = QFormLayout()
        form.addRow(_("New password:"), self.password)
        form.addRow(_("Repeat password:"), self.repeat)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(380)

    def _on_buttons_accepted(self) -> None:
        if self.password.text() != self.repeat.text():
            show_error(self.error, _("The two passwords differ."))
        else:
            self.accept()


class UsersBox(QFrame):
    """The users card of the settings page; its buttons follow who is signed in and which row is selected."""

    def __init__(self, ledger: Ledger, *, runner: JobRunner, identity: Identity, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self._ledger = ledger
        self._runner = runner
        self._identity = identity
        self._lines: list[UserLine] = []
        title = QLabel(_("Users and approvals"))
        title.setObjectName("sectionLabel")
        self.hint = QLabel()
        self.hint.setObjectName("hintLabel")
        self.hint.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([_("User"), _("Role"), _("Status"), _("Approval limit per run")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # names vary most
        self.table.setMinimumHeight(150)
        self.add_button = QPushButton(_("Add user…"))
        self.role_button = QPushButton(_("Change role…"))
        self.limit_button = QPushButton(_("Approval limit…"))
        self.password_button = QPushButton(_("Reset password…"))
        self.active_button = QPushButton(_("Deactivate"))
        self.own_password_button = QPushButton(_("Change my password…"))
        self.status = QLabel()
        self.status.setObjectName("hintLabel")
        self.error = error_label()
        buttons = QHBoxLayout()
        for button in (self.add_button, self.role_button, self.limit_button, self.password_button, self.active_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.own_password_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.hint)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.error)

        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.role_button.clicked.connect(self._on_role_button_clicked)
        self.limit_button.clicked.connect(self._on_limit_button_clicked)
        self.password_button.clicked.connect(self._on_password_button_clicked)
        self.active_button.clicked.connect(self._on_active_button_clicked)
        self.own_password_button.clicked.connect(self._on_own_password_button_clicked)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        identity.changed.connect(self._on_identity_changed)
        self.reload()

    # --- reading ---------------------------------------------------------------------------------------------------

    def reload(self) -> None:
        def load(cancel: threading.Event, progress: Progress) -> list[UserLine]:
            return user_lines(self._ledger)

        self._runner.run(load, on_success=self._show, on_failure=self._on_failed, parent=self)

    def _show(self, lines: list[UserLine]) -> None:
        selected = self._selected()
        self._lines = lines
        self.table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            if line.role not in APPROVING_ROLES:
                limit = "—"
            elif line.limit is None:
                limit = _("no limit")
            else:
                limit = format_amount(line.limit) + ("" if line.own_limit else " " + _("(default)"))
            status = _("active") if line.active else _("deactivated")
            for column, text in enumerate((line.name, role_label(line.role), status, limit)):
                item = QTableWidgetItem(text)
                if column == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
            if selected is not None and line.name == selected.name:
                self.table.selectRow(row)
        self._update_buttons()

    def _selected(self) -> UserLine | None:
        rows = self.table.selectionModel().selectedRows()
        return self._lines[rows[0].row()] if rows and rows[0].row() < len(self._lines) else None

    def _admin(self) -> SignedInUser | None:
        user = self._identity.user
        return user if user is not None and user.role == ADMIN else None

    def _update_buttons(self) -> None:
        admin, line, first = self._admin(), self._selected(), not self._lines
        self.add_button.setEnabled(first or admin is not None)
        for button in (self.role_button, self.password_button, self.active_button):
            button.setEnabled(admin is not None and line is not None)
        self.limit_button.setEnabled(admin is not None and line is not None and line.role in APPROVING_ROLES)
        self.active_button.setText(_("Reactivate") if line is not None and not line.active else _("Deactivate"))
        self.own_password_button.setEnabled(self._identity.user is not None)
        if first:
            self.hint.setText(_("No users yet. Payments need named users: add the first one, the ledger's admin."))
        elif admin is None:
            self.hint.setText(_("Only an admin changes users. Sign in as an admin (File › Sign in) to do so."))
        else:
            self.hint.setText(_("Approvers release payment runs up to their limit; above it a second approver signs."))

    def _on_identity_changed(self, _user: SignedInUser | None) -> None:
        self._update_buttons()

    # --- changing ---------------------------------------------------------------------------------------------------

    def _write(self, change: Callable[[Ledger], None], done: str) -> None:
        """Run `change(ledger)` as a ledger write; `done` is shown when it succeeded."""

        def job(cancel: threading.Event, progress: Progress) -> None:
            change(self._ledger)

        show_error(self.error, "")
        self.status.clear()
        self._runner.run(job, on_success=lambda _result: self._done(done), on_failure=self._on_failed, writes=True,
                         parent=self)  # fmt: skip

    def _done(self, message: str) -> None:
        self.status.setText(message)
        self.reload()

    def _on_failed(self, error: BaseException) -> None:
        if is_user_error(error):
            show_error(self.error, str(error))
        else:
            present_error(error, parent=self)

    def _on_add_button_clicked(self) -> None:
        first = not self._lines
        dialog = NewUserDialog(first=first, parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        name, role, password = dialog.name_edit.text().strip(), dialog.role_combo.currentData(), dialog.password.text()
        by = self._admin()

        def add(ledger: Ledger) -> SignedInUser | None:
            with ledger.writer() as session:
                add_user(session, name=name, role=role, password=password, by=by)
            return sign_in(ledger, name, password) if first else None

        def job(cancel: threading.Event, progress: Progress) -> SignedInUser | None:
            return add(self._ledger)

        def added(user: SignedInUser | None) -> None:
            if user is not None:
                self._identity.set_user(user)
            self._done(_("User {name} ({role}) added.").format(name=name, role=role_label(role)))

        show_error(self.error, "")
        self._runner.run(job, on_success=added, on_failure=self._on_failed, writes=True, parent=self)

    def _on_role_button_clicked(self) -> None:
        line, admin = self._selected(), self._admin()
        if line is None or admin is None:
            return
        labels = [role_label(role) for role in ROLES]
        label, ok = QInputDialog.getItem(
            self, _("Change role"), _("Role of {name}:").format(name=line.name), labels, ROLES.index(line.role), False
        )
        if not ok:
            return
        role = ROLES[labels.index(label)]

        def change(ledger: Ledger) -> None:
            with ledger.writer() as session:
                change_role(session, name=line.name, role=role, by=admin)

        self._write(change, _("{name} is now {role}.").format(name=line.name, role=label))

    def _on_limit_button_clicked(self) -> None:
        line, admin = self._selected(), self._admin()
        if line is None or admin is None:
            return
        current = format_amount(line.limit) if line.own_limit and line.limit is not None else ""
        text, ok = QInputDialog.getText(
            self,
            _("Approval limit"),
            _("Largest run {name} may approve alone (empty: no own limit):").format(name=line.name),
            text=current,
        )
        if not ok:
            return
        try:
            limit = parse_amount(text) if text.strip() else None
        except ValueError:
            show_error(self.error, _("{amount} is not an amount.").format(amount=text))
            return

        def store(ledger: Ledger) -> None:
            set_approval_limit(ledger, approver=line.name, limit=limit, actor=admin.name)

        shown = _("no limit") if limit is None else format_amount(limit)
        self._write(store, _("Approval limit of {who}: {limit}.").format(who=line.name, limit=shown))

    def _on_password_button_clicked(self) -> None:
        line, admin = self._selected(), self._admin()
        if line is not None and admin is not None:
            self._new_password(line.name, admin)

    def _on_own_password_button_clicked(self) -> None:
        user = self._identity.user
        if user is not None:
            self._new_password(user.name, user)

    def _new_password(self, name: str, by: SignedInUser) -> None:
        dialog = NewPasswordDialog(name, parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        password = dialog.password.text()

        def change(ledger: Ledger) -> None:
            with ledger.writer() as session:
                change_password(session, name=name, new_password=password, by=by)

        self._write(change, _("Password of {name} changed.").format(name=name))

    def _on_active_button_clicked(self) -> None:
        line, admin = self._selected(), self._admin()
        if line is None or admin is None:
            return
        toggle = reactivate_user if not line.active else deactivate_user

        def change(ledger: Ledger) -> None:
            with ledger.writer() as session:
                toggle(session, name=line.name, by=admin)

        done = _("User {name} reactivated.") if not line.active else _("User {name} deactivated.")
        self._write(change, done.format(name=line.name))
