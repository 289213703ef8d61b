"""Who works in this window: the sign-in after unlocking a ledger with users, and the holder the pages ask."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.services.i18n import N_, _
from app.services.ledger.database import Ledger
from app.services.ledger.users import AuthenticationError, SignedInUser, current_actor, sign_in
from app.views.errors import present_error
from app.views.jobs import JobRunner, Progress
from app.views.passphrase_widgets import error_label, password_edit, show_error
from app.views.resources import icon

ROLE_LABELS = {"bookkeeper": N_("bookkeeper"), "approver": N_("approver"), "admin": N_("admin")}


class Identity(QObject):
    """The signed-in user of one main window, or None for review without payment actions."""

    changed = Signal(object)  # SignedInUser | None

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.user: SignedInUser | None = None

    def set_user(self, user: SignedInUser | None) -> None:
        self.user = user
        self.changed.emit(user)

    def actor(self) -> str:
        """The name payment services check; '' when nobody signed in, which they refuse with a hint."""
        return self.user.name if self.user is not None else ""

    def acting_name(self) -> str:
        """Who bookkeeping work that needs no role is recorded under: the signed-in user, else this computer's."""
        return self.actor() or current_actor()

    def describe(self) -> str:
        if self.user is None:
            return _("Not signed in (review only)")
        return _("Signed in as {name} ({role})").format(
            name=self.user.name, role=_(ROLE_LABELS.get(self.user.role, self.user.role))
        )


class SignInDialog(QDialog):
    """User name and password; Cancel leaves the window in review mode. A failure keeps the dialog open."""

    signed_in = Signal(object)  # SignedInUser

    def __init__(self, ledger: Ledger, *, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ledger = ledger
        self._runner = runner
        self._busy = False
        self.setWindowTitle(_("Sign in"))
        self.setWindowIcon(icon("lock"))
        heading = QLabel(_("Sign in to {name}").format(name=ledger.path.name))
        heading.setObjectName("dialogHeading")
        hint = QLabel(_("Payments are created and approved by named users. Cancel to review without changing them."))
        hint.setObjectName("hintLabel")
        hint.setWordWrap(True)
        self.user_edit = QLineEdit()
        self.password_edit = password_edit()
        self.error_label = error_label()
        form = QFormLayout()
        form.addRow(_("User name:"), self.user_edit)
        form.addRow(_("Password:"), self.password_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Sign in"))
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (self.user_edit, self.password_edit, self.buttons):
            widget.setEnabled(not busy)

    def _on_buttons_accepted(self) -> None:
        name, password = self.user_edit.text().strip(), self.password_edit.text()
        if not name or not password:
            show_error(self.error_label, _("Please enter your user name and password."))
            return
        show_error(self.error_label, "")
        self._set_busy(True)
        ledger = self._ledger

        def check(cancel: threading.Event, progress: Progress) -> SignedInUser:
            return sign_in(ledger, name, password)

        self._runner.run(check, on_success=self._on_succeeded, on_failure=self._on_failed, writes=True, parent=self)

    def _on_succeeded(self, user: SignedInUser) -> None:
        self._set_busy(False)
        self.password_edit.clear()
        self.signed_in.emit(user)
        self.accept()

    def _on_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        if isinstance(error, AuthenticationError):
            show_error(self.error_label, str(error))
            self.password_edit.clear()
            self.password_edit.setFocus()
        else:
            present_error(error, parent=self)

    def reject(self) -> None:
        """Not while the password is being checked: the answer would have nowhere to go."""
        if not self._busy:
            super().reject()
