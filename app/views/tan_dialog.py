"""The GUI side of a bank operation's questions: PIN, TAN method and medium, and one TAN dialog for every kind.

`BankPromptDialogs` answers `QtPrompts` on the GUI thread with non-blocking dialogs, so a worker waiting for a TAN
never freezes the window. The TAN itself is never logged or kept after the dialog closes.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.demobank import DEMO_LOGIN, DEMO_PIN, DemoBank
from app.services.banking.fints_client import Cancelled, WrongPinError
from app.services.banking.prompts import PayeeCheck, TanChallenge, TanMechanismOption
from app.services.i18n import N_, _
from app.views.errors import error_message
from app.views.flicker_widget import FlickerPanel
from app.views.jobs import QtPrompts
from app.views.payee_check_dialog import PayeeCheckDialog

PHOTO_SIZE = 260  # px: big enough for a phone camera, small enough for a laptop screen
WRONG_PIN_TEXT = N_("The bank rejected the PIN. Kontor will not try again automatically; check the PIN and retry.")


def bank_error_text(error: BaseException) -> str:
    """Plain language for the wizard and sync: the bank's own message, with a fixed text for a wrong PIN."""
    if isinstance(error, WrongPinError):
        return _(WRONG_PIN_TEXT)
    if isinstance(error, Cancelled):
        return _("Cancelled; nothing was changed.")
    return error_message(error)


def photo_pixmap(data: bytes) -> QPixmap:
    """The photoTAN graphic at PHOTO_SIZE; enlarging without smoothing keeps the matrix cells sharp for the camera."""
    pixmap = QPixmap()
    pixmap.loadFromData(data)
    if pixmap.isNull():
        return pixmap
    upscale = max(pixmap.width(), pixmap.height()) < PHOTO_SIZE
    return pixmap.scaled(
        PHOTO_SIZE,
        PHOTO_SIZE,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.FastTransformation if upscale else Qt.TransformationMode.SmoothTransformation,
    )


class TanDialog(QDialog):
    """One challenge of any kind: text, photoTAN, chipTAN flicker, or waiting for the banking app (no TAN field)."""

    cancel_requested = Signal()  # decoupled only: the user gave up waiting
    confirmed = Signal()  # decoupled without automatic polling: the user says the app approval is done

    def __init__(self, challenge: TanChallenge, *, demo_bank: DemoBank | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.challenge = challenge
        self.demo_bank = demo_bank
        self.cancelled = False
        self.setObjectName("tanDialog")
        self.setWindowTitle(_("Confirm in your banking app") if self.decoupled else _("TAN required"))
        layout = QVBoxLayout(self)

        self.signs_label = QLabel(_("You authorise: {what}").format(what=challenge.signs))
        self.signs_label.setObjectName("dialogHeading")
        self.signs_label.setWordWrap(True)
        self.signs_label.setVisible(bool(challenge.signs))
        layout.addWidget(self.signs_label)
        self.text_label = QLabel()
        self.text_label.setWordWrap(True)
        self.text_label.setMinimumWidth(380)
        if challenge.html:
            self.text_label.setTextFormat(Qt.TextFormat.RichText)
            self.text_label.setText(challenge.html)
        else:
            self.text_label.setTextFormat(Qt.TextFormat.PlainText)
            self.text_label.setText(challenge.text)
        layout.addWidget(self.text_label)

        self.photo_label: QLabel | None = None
        if challenge.image is not None:
            self.photo_label = QLabel()
            self.photo_label.setObjectName("photoTan")
            self.photo_label.setPixmap(photo_pixmap(challenge.image[1]))
            self.photo_label.setFrameShape(QFrame.Shape.StyledPanel)
            layout.addWidget(self.photo_label, 0, Qt.AlignmentFlag.AlignHCenter)

        self.flicker_panel: FlickerPanel | None = None
        if challenge.flicker_code:
            self.flicker_panel = FlickerPanel(challenge.flicker_code)
            layout.addWidget(self.flicker_panel)

        self.tan_edit = QLineEdit()
        self.tan_edit.setObjectName("tanEdit")
        self.hide_check = QCheckBox(_("Hide TAN"))
        self.hide_check.toggled.connect(self._on_hide_check_toggled)
        self.progress = QProgressBar()
        self.wait_label = QLabel()
        self._seconds_left = 0
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._on_countdown_timeout)
        if self.decoupled:
            self._build_waiting(layout)
        else:
            self._build_entry(layout)
        self._build_demo_phone(layout)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Cancel
            if self.decoupled
            else QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        if not self.decoupled:
            ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
            ok.setEnabled(False)
            self.tan_edit.textChanged.connect(lambda text: ok.setEnabled(bool(text.strip())))
            self.tan_edit.setFocus()

    @property
    def decoupled(self) -> bool:
        return self.challenge.kind == "decoupled"

    def _build_entry(self, layout: QVBoxLayout) -> None:
        row = QHBoxLayout()
        row.addWidget(QLabel(_("Enter TAN:")))
        row.addWidget(self.tan_edit, 1)
        row.addWidget(self.hide_check)
        layout.addLayout(row)

    @property
    def manual(self) -> bool:
        """The bank does not allow automatic status polling: Kontor asks only when the user says so."""
        return self.challenge.polling is not None and not self.challenge.polling.automatic

    def _build_waiting(self, layout: QVBoxLayout) -> None:
        self.wait_label.setObjectName("waitLabel")
        if self.manual:
            layout.addWidget(
                QLabel(_("<b>Please confirm in your banking app,</b> then tell Kontor here; your bank wants it so."))
            )
            self.confirmed_button = QPushButton(_("I confirmed in the app"))
            self.confirmed_button.setObjectName("confirmedButton")
            self.confirmed_button.clicked.connect(self._on_confirmed_button_clicked)
            layout.addWidget(self.confirmed_button)
            layout.addWidget(self.wait_label)
            return
        layout.addWidget(QLabel(_("<b>Please confirm in your banking app.</b> Kontor checks automatically.")))
        polling = self.challenge.polling
        self.progress.setRange(0, polling.max_polls if polling else 0)
        self.progress.setValue(0)
        self.progress.setFormat(_("check %v of %m"))
        layout.addWidget(self.progress)
        layout.addWidget(self.wait_label)
        self.show_polls(0)

    def _build_demo_phone(self, layout: QVBoxLayout) -> None:
        """In the demo, the phone is simulated: show its message here so the demo needs no second device."""
        if self.demo_bank is None:
            return
        messages = [m for m in self.demo_bank.pending_tans() if m.reference == self.challenge.reference]
        if not messages:
            return
        box = QGroupBox(_("Demo phone"))
        box.setObjectName("demoPhone")
        row = QHBoxLayout(box)
        label = QLabel(messages[0].text)
        label.setWordWrap(True)
        row.addWidget(label, 1)
        if self.decoupled:
            self.demo_approve_button = QPushButton(_("Approve in the demo app"))
            self.demo_approve_button.clicked.connect(self._on_demo_approve_button_clicked)
            row.addWidget(self.demo_approve_button)
        elif messages[0].tan:
            tan = messages[0].tan
            self.demo_fill_button = QPushButton(_("Use this TAN"))
            self.demo_fill_button.clicked.connect(lambda: self.tan_edit.setText(tan))
            row.addWidget(self.demo_fill_button)
        layout.addWidget(box)

    def _on_demo_approve_button_clicked(self) -> None:
        assert self.demo_bank is not None
        try:
            self.demo_bank.approve(self.challenge.reference)
        except KeyError:  # already decided or expired
            return
        self.demo_approve_button.setEnabled(False)

    def _on_hide_check_toggled(self, hidden: bool) -> None:
        self.tan_edit.setEchoMode(QLineEdit.EchoMode.Password if hidden else QLineEdit.EchoMode.Normal)

    def _on_confirmed_button_clicked(self) -> None:
        self.confirmed_button.setEnabled(False)
        self.wait_label.setText(_("Checking with the bank…"))
        self.confirmed.emit()

    def show_polls(self, polls: int) -> None:
        """Before each check with the bank: how many checks so far and the seconds until the next one."""
        if self.manual:
            self.confirmed_button.setEnabled(True)
            self.wait_label.setText(_("The bank has no confirmation yet.") if polls else "")
            return
        polling = self.challenge.polling
        self.progress.setValue(min(polls, self.progress.maximum()))
        wait = (polling.first_wait if polls == 0 else polling.next_wait) if polling else 0
        self._seconds_left = max(0, round(wait))
        self._show_countdown()
        self._countdown.start()

    def _on_countdown_timeout(self) -> None:
        self._seconds_left = max(0, self._seconds_left - 1)
        self._show_countdown()

    def _show_countdown(self) -> None:
        self.wait_label.setText(
            _("Next check in {seconds} s…").format(seconds=self._seconds_left)
            if self._seconds_left
            else _("Checking with the bank…")
        )

    def tan(self) -> str:
        return self.tan_edit.text().strip()

    def reject(self) -> None:
        self.cancelled = True
        self._countdown.stop()
        super().reject()
        if self.decoupled:
            self.cancel_requested.emit()


class ChoiceDialog(QDialog):
    """Pick one of a few bank-given options (TAN method, TAN medium); a list, because names can be long."""

    def __init__(self, title: str, text: str, options: Sequence[tuple[str, str]], *, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("choiceDialog")
        layout = QVBoxLayout(self)
        label = QLabel(text)
        label.setWordWrap(True)
        layout.addWidget(label)
        self.list = QListWidget()
        for value, shown in options:
            item = QListWidgetItem(shown)
            item.setData(Qt.ItemDataRole.UserRole, value)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(self.accept)
        # wide enough for the longest name (up to a screen's half), high enough for a handful without scrolling
        frame = 2 * self.list.frameWidth() + self.list.verticalScrollBar().sizeHint().width() + 8
        self.list.setMinimumWidth(min(self.list.sizeHintForColumn(0) + frame, 640))
        self.list.setMinimumHeight(min(self.list.sizeHintForRow(0) * max(len(options), 3), 240) + frame)
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def choose(self, value: str) -> None:
        """Select the option with this value (keyboard users and tests)."""
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == value:
                self.list.setCurrentRow(row)

    def value(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))


_KIND_NAMES = {
    "text": N_("TAN by SMS or generator"),
    "photo": N_("photoTAN (scan a graphic)"),
    "flicker": N_("chipTAN with flicker code"),
    "decoupled": N_("approval in an app"),
}


class BankPromptDialogs(QObject):
    """Answers every QtPrompts question with a non-blocking dialog; exactly one per runner (see `attach`)."""

    cancelled = Signal()  # the user cancelled a prompt; flows set their job's cancel event so it stops at once

    def __init__(self, prompts: QtPrompts, *, demo_bank: DemoBank | None = None) -> None:
        super().__init__(prompts)
        self.setObjectName("bankPromptDialogs")
        self.demo_bank = demo_bank
        self.dialog: QDialog | None = None  # the prompt on screen now, for tests and screenshots
        self._waiting: dict[str, TanDialog] = {}  # decoupled dialogs by task reference
        self._refused: set[str] = set()  # decoupled tasks the user cancelled; the next poll answers False
        self._unconfirmed: dict[str, Future[Any]] = {}  # manual confirmation: answered by the button or cancel
        prompts.pin_requested.connect(self._on_prompts_pin_requested)
        prompts.tan_mechanism_requested.connect(self._on_prompts_tan_mechanism_requested)
        prompts.tan_medium_requested.connect(self._on_prompts_tan_medium_requested)
        prompts.tan_requested.connect(self._on_prompts_tan_requested)
        prompts.decoupled_waiting.connect(self._on_prompts_decoupled_waiting)
        prompts.decoupled_done.connect(self._on_prompts_decoupled_done)
        prompts.payee_check_requested.connect(self._on_prompts_payee_check_requested)

    @classmethod
    def attach(cls, prompts: QtPrompts, *, demo_bank: DemoBank | None = None) -> BankPromptDialogs:
        """The runner's one answerer: the wizard and the sync share it, so no prompt is answered twice."""
        existing = prompts.findChild(BankPromptDialogs, "bankPromptDialogs")
        if existing is not None:
            existing.demo_bank = demo_bank or existing.demo_bank
            return existing
        return cls(prompts, demo_bank=demo_bank)

    @staticmethod
    def _parent() -> QWidget | None:
        return QApplication.activeModalWidget() or QApplication.activeWindow()

    def _show(self, dialog: QDialog, future: Future[Any], answer: Any) -> None:
        """Open without blocking; the future gets `answer(dialog)` on OK and None on Cancel or close."""

        def on_finished(result: int) -> None:
            accepted = result == QDialog.DialogCode.Accepted
            QtPrompts.answer(future, answer(dialog) if accepted else None)
            if not accepted:
                self.cancelled.emit()
            if self.dialog is dialog:
                self.dialog = None
            dialog.deleteLater()

        dialog.finished.connect(on_finished)
        dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.dialog = dialog
        dialog.open()

    def _on_prompts_pin_requested(self, label: str, future: Future[str | None]) -> None:
        dialog = QInputDialog(self._parent())
        dialog.setObjectName("pinDialog")
        dialog.setWindowTitle(_("Online banking PIN"))
        text = _("PIN for {login}:").format(login=label)
        if self.demo_bank is not None:
            text += "\n" + _("Demo bank: login {login}, PIN {pin}").format(login=DEMO_LOGIN, pin=DEMO_PIN)
        dialog.setLabelText(text)
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
        self._show(dialog, future, lambda d: d.textValue() or None)

    def _on_prompts_tan_mechanism_requested(self, options: list[TanMechanismOption], future: Future[Any]) -> None:
        shown = [(o.code, f"{o.name} — {_(_KIND_NAMES.get(o.kind, o.kind))} ({o.code})") for o in options]
        dialog = ChoiceDialog(
            _("TAN method"), _("Which TAN method do you use with this bank?"), shown, parent=self._parent()
        )
        self._show(dialog, future, lambda d: d.value())

    def _on_prompts_tan_medium_requested(self, options: list[str], future: Future[Any]) -> None:
        dialog = ChoiceDialog(
            _("TAN medium"), _("Which device receives your TANs?"), [(o, o) for o in options], parent=self._parent()
        )
        self._show(dialog, future, lambda d: d.value())

    def _on_prompts_tan_requested(self, challenge: TanChallenge, future: Future[Any]) -> None:
        dialog = TanDialog(challenge, demo_bank=self.demo_bank, parent=self._parent())
        self._show(dialog, future, lambda d: d.tan() or None)

    def _on_prompts_payee_check_requested(self, check: PayeeCheck, future: Future[Any]) -> None:
        self._show(PayeeCheckDialog(check, parent=self._parent()), future, lambda _dialog: True)

    def _on_prompts_decoupled_waiting(self, challenge: TanChallenge, polls: int, future: Future[Any]) -> None:
        reference = challenge.reference
        if reference in self._refused:
            self._refused.discard(reference)
            QtPrompts.answer(future, False)
            return
        dialog = self._waiting.get(reference)
        if dialog is None:
            dialog = TanDialog(challenge, demo_bank=self.demo_bank, parent=self._parent())
            dialog.cancel_requested.connect(lambda: self._on_waiting_cancelled(reference))
            dialog.confirmed.connect(lambda: self._answer_unconfirmed(reference, True))
            dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
            self._waiting[reference] = dialog
            self.dialog = dialog
            dialog.open()
        dialog.show_polls(polls)
        if dialog.manual:
            self._unconfirmed[reference] = future  # the worker waits until the user says it is confirmed
            return
        QtPrompts.answer(future, True)

    def _answer_unconfirmed(self, reference: str, confirmed: bool) -> None:
        future = self._unconfirmed.pop(reference, None)
        if future is not None:
            QtPrompts.answer(future, confirmed)

    def _on_waiting_cancelled(self, reference: str) -> None:
        if reference in self._unconfirmed:
            self._answer_unconfirmed(reference, False)
            self._close_waiting(reference)
            self.cancelled.emit()
            return
        self._refused.add(reference)
        self._close_waiting(reference)
        self.cancelled.emit()

    def _close_waiting(self, reference: str) -> None:
        dialog = self._waiting.pop(reference, None)
        if dialog is None:
            return
        if dialog.isVisible():
            dialog.done(QDialog.DialogCode.Accepted)
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def _on_prompts_decoupled_done(self, challenge: TanChallenge, approved: bool, future: Future[Any]) -> None:
        self._refused.discard(challenge.reference)
        self._close_waiting(challenge.reference)
        QtPrompts.answer(future, None)
