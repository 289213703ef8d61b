"""TAN dialog for every kind, the flicker widget, and QtPrompts answered on the GUI thread from a real worker."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future

import pytest
from fints.hhd.flicker import code_to_bitstream
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

from app.demobank.challenges import flicker_code
from app.demobank.png import phototan_png
from app.services.banking.prompts import DecoupledPolling, PayeeCheck, TanChallenge, TanMechanismOption
from app.views.flicker_widget import BAR_STEP, FlickerPanel
from app.views.jobs import QtPrompts
from app.views.payee_check_dialog import PayeeCheckDialog
from app.views.tan_dialog import PHOTO_SIZE, BankPromptDialogs, ChoiceDialog, TanDialog

CODE = flicker_code("12345678", "4711000000", "120,00")  # what the demo bank puts into HHD_UC for chipTAN
DECOUPLED = TanChallenge(
    "decoupled", "Bitte bestätigen Sie den Auftrag in Ihrer Kontor DemoApp", reference="R1",
    polling=DecoupledPolling(2, 2, 10),
)  # fmt: skip


def on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def in_worker(function: Callable[..., object], *args: object) -> tuple[threading.Thread, list[object]]:
    answers: list[object] = []
    thread = threading.Thread(target=lambda: answers.append(function(*args)), daemon=True)
    thread.start()
    return thread, answers


def test_text_challenge_returns_the_typed_tan(qtbot) -> None:
    dialog = TanDialog(TanChallenge("text", "Die TAN wurde an 0170 *** 4711 gesendet."))
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    qtbot.keyClicks(dialog.tan_edit, " 123456 ")
    assert ok.isEnabled() and dialog.tan() == "123456"
    dialog.hide_check.setChecked(True)
    assert dialog.tan_edit.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.text_label.textFormat() == Qt.TextFormat.PlainText


def test_html_challenge_is_rich_text(qtbot) -> None:
    dialog = TanDialog(TanChallenge("text", "plain", html="Betrag <b>120,00</b>"))
    qtbot.addWidget(dialog)
    assert dialog.text_label.textFormat() == Qt.TextFormat.RichText and "<b>" in dialog.text_label.text()


def test_photo_challenge_shows_a_scaled_pixmap(qtbot) -> None:
    png = phototan_png("R2", "654321", "Kontor Demobank photoTAN")
    dialog = TanDialog(TanChallenge("photo", "Bitte scannen", image=("image/png", png)))
    qtbot.addWidget(dialog)
    assert dialog.photo_label is not None
    pixmap = dialog.photo_label.pixmap()
    assert not pixmap.isNull()
    original = QPixmap()
    original.loadFromData(png)
    assert max(pixmap.width(), pixmap.height()) == PHOTO_SIZE
    assert abs(pixmap.width() / pixmap.height() - original.width() / original.height()) < 0.02


def test_flicker_frames_speed_and_size(qtbot) -> None:
    panel = FlickerPanel(CODE)
    qtbot.addWidget(panel)
    flicker = panel.flicker
    assert flicker.frames == code_to_bitstream(CODE)
    assert all(len(frame) == 5 for frame in flicker.frames) and flicker.timer.isActive()
    interval = flicker.timer.interval()
    panel.speed_slider.setValue(10)
    assert flicker.timer.interval() == 100 != interval
    width = flicker.width()
    panel.larger_button.click()
    assert flicker.bar_width == 40 + BAR_STEP and flicker.width() > width
    panel.smaller_button.click()
    panel.smaller_button.click()
    assert flicker.width() < width
    first = flicker.frame
    qtbot.waitUntil(lambda: flicker.frame != first, timeout=2000)
    assert not panel.grab().isNull()


def test_flicker_challenge_dialog_has_the_animation(qtbot) -> None:
    dialog = TanDialog(TanChallenge("flicker", "Halten Sie Ihren TAN-Generator an die Grafik.", flicker_code=CODE))
    qtbot.addWidget(dialog)
    assert dialog.flicker_panel is not None and dialog.flicker_panel.flicker.frames == code_to_bitstream(CODE)


def test_choice_dialog_returns_the_code(qtbot) -> None:
    dialog = ChoiceDialog("TAN method", "Which?", [("942", "mobileTAN"), ("972", "chipTAN")])
    qtbot.addWidget(dialog)
    assert dialog.value() == "942"
    dialog.choose("972")
    assert dialog.value() == "972"


@pytest.fixture
def prompts(qtbot) -> QtPrompts:
    return QtPrompts()


def test_decoupled_waits_and_cancel_makes_await_return_false(qtbot, prompts: QtPrompts) -> None:
    dialogs = BankPromptDialogs.attach(prompts)
    assert BankPromptDialogs.attach(prompts) is dialogs
    thread, answers = in_worker(prompts.await_decoupled, DECOUPLED, 0)
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    assert answers == [True]
    dialog = dialogs.dialog
    assert isinstance(dialog, TanDialog) and dialog.isVisible()
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok) is None  # no TAN field for the app
    assert not dialog.tan_edit.isVisible()
    assert dialog.progress.maximum() == 10 and "Next check in 2 s" in dialog.wait_label.text()
    thread, answers = in_worker(prompts.await_decoupled, DECOUPLED, 1)
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    assert answers == [True] and dialog.progress.value() == 1
    with qtbot.waitSignal(dialogs.cancelled):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    thread, answers = in_worker(prompts.await_decoupled, DECOUPLED, 2)
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    assert answers == [False] and dialogs.dialog is None


def test_every_prompt_is_answered_on_the_gui_thread(qtbot, prompts: QtPrompts) -> None:
    """Slots assert the main thread; the questions come from a real worker thread, as in a job."""
    seen: list[str] = []

    def answer(name: str, value: object) -> Callable[..., None]:
        def slot(*args: object) -> None:
            assert on_main_thread()
            seen.append(name)
            future = args[-1]
            assert isinstance(future, Future)
            QtPrompts.answer(future, value)

        return slot

    prompts.pin_requested.connect(answer("pin", "12345"))
    prompts.tan_mechanism_requested.connect(answer("mechanism", "942"))
    prompts.tan_medium_requested.connect(answer("medium", "Handy Demo"))
    prompts.tan_requested.connect(answer("tan", "654321"))
    prompts.decoupled_waiting.connect(answer("waiting", True))
    prompts.decoupled_done.connect(answer("done", None))
    challenge = TanChallenge("text", "t", reference="R")
    calls: list[tuple[Callable[..., object], tuple[object, ...], object]] = [
        (prompts.ask_pin, ("demo @ Kontor Demobank",), "12345"),
        (prompts.choose_tan_mechanism, ([TanMechanismOption("942", "mobileTAN", "text")],), "942"),
        (prompts.choose_tan_medium, (["Handy Demo"],), "Handy Demo"),
        (prompts.ask_tan, (challenge,), "654321"),
        (prompts.await_decoupled, (DECOUPLED, 0), True),
        (prompts.decoupled_finished, (DECOUPLED, True), None),
    ]
    for function, args, expected in calls:
        thread, answers = in_worker(function, *args)
        qtbot.waitUntil(lambda answers=answers: bool(answers), timeout=5000)
        thread.join(5)
        assert answers == [expected]
    assert seen == ["pin", "mechanism", "medium", "tan", "waiting", "done"]


def test_dialogs_answer_pin_choice_and_tan(qtbot, prompts: QtPrompts) -> None:
    dialogs = BankPromptDialogs.attach(prompts)
    thread, answers = in_worker(prompts.ask_pin, "demo @ Kontor Demobank")
    qtbot.waitUntil(lambda: dialogs.dialog is not None, timeout=5000)
    dialogs.dialog.setTextValue("12345")  # type: ignore[union-attr]
    dialogs.dialog.accept()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    assert answers == ["12345"]

    options = [TanMechanismOption("942", "mobileTAN", "text"), TanMechanismOption("946", "App", "decoupled")]
    thread, answers = in_worker(prompts.choose_tan_mechanism, options)
    qtbot.waitUntil(lambda: isinstance(dialogs.dialog, ChoiceDialog), timeout=5000)
    dialogs.dialog.choose("946")  # type: ignore[union-attr]
    dialogs.dialog.accept()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    assert answers == ["946"]

    thread, answers = in_worker(prompts.ask_tan, TanChallenge("text", "SMS", reference="R9"))
    qtbot.waitUntil(lambda: isinstance(dialogs.dialog, TanDialog), timeout=5000)
    with qtbot.waitSignal(dialogs.cancelled):
        dialogs.dialog.reject()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    assert answers == [None]


MANUAL = TanChallenge(
    "decoupled", "Bitte bestätigen Sie den Auftrag in Ihrer Kontor DemoApp", reference="R2",
    polling=DecoupledPolling(2, 2, 10, automatic=False),
)  # fmt: skip


def test_decoupled_without_automatic_polling_waits_for_the_users_word(qtbot, prompts: QtPrompts, tmp_path) -> None:
    """The bank forbids automatic status polling: the worker waits until 'I confirmed in the app' is clicked."""
    dialogs = BankPromptDialogs.attach(prompts)
    thread, answers = in_worker(prompts.await_decoupled, MANUAL, 0)
    qtbot.waitUntil(lambda: isinstance(dialogs.dialog, TanDialog), timeout=5000)
    dialog = dialogs.dialog
    assert isinstance(dialog, TanDialog) and dialog.manual
    qtbot.wait(300)
    assert answers == []  # no timer answers for the user
    assert dialog.grab().save(str(tmp_path / "manual-confirm.png"))
    dialog.confirmed_button.click()
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    assert answers == [True] and not dialog.confirmed_button.isEnabled()
    thread, answers = in_worker(prompts.await_decoupled, MANUAL, 1)  # the bank had no confirmation yet
    qtbot.waitUntil(lambda: dialog.confirmed_button.isEnabled(), timeout=5000)
    assert "no confirmation yet" in dialog.wait_label.text() and answers == []
    with qtbot.waitSignal(dialogs.cancelled):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    assert answers == [False] and dialogs.dialog is None
    thread.join(timeout=5)


def test_payee_check_is_put_to_the_approver_and_stops_unless_sent_anyway(qtbot, prompts: QtPrompts, tmp_path) -> None:
    """The bank's verification of payee: its finding and notice on screen, "Do not send" the default."""
    dialogs = BankPromptDialogs.attach(prompts)
    check = PayeeCheck("RVMC", "DE44500105175407324931", close_match_name="Feinwerkzeug Kraus GmbH",
                       notice="Die Autorisierung der Zahlung kann dazu führen, …")  # fmt: skip
    for press, expected in (("stop_button", False), ("send_button", True)):
        thread, answers = in_worker(prompts.confirm_payee, check)
        qtbot.waitUntil(lambda: isinstance(dialogs.dialog, PayeeCheckDialog), timeout=5000)
        dialog = dialogs.dialog
        assert isinstance(dialog, PayeeCheckDialog)
        assert "“Feinwerkzeug Kraus GmbH”" in dialog.summary.text() and dialog.notice.text() == check.notice
        assert dialog.stop_button.isDefault() and not dialog.send_button.isDefault()
        if expected:
            dialog.grab().save(str(tmp_path / "payee_check.png"))
        qtbot.mouseClick(getattr(dialog, press), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda answers=answers: bool(answers), timeout=5000)
        thread.join(5)
        assert answers == [expected]
