"""From no ledger to the main window: the start dialog, creating a ledger, unlocking, automatic unlock."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit
from sqlalchemy import select
from statement_files import Booking, mt940

from app.models.schema import BankAccount, Transaction
from app.services.ledger import secrets
from app.services.ledger.database import Ledger
from app.services.preferences import Preferences, load_preferences
from app.views.application import Controller
from app.views.jobs import JobRunner
from app.views.new_ledger_dialog import NewLedgerDialog
from app.views.start_dialog import StartDialog
from app.views.unlock_dialog import UnlockDialog

DEMO_PASSPHRASE = "demo"  # the conftest's demo ledger


@pytest.fixture
def controller(qtbot, runner: JobRunner, preferences: Preferences):
    ctrl = Controller(preferences=preferences, runner=runner)
    yield ctrl
    if ctrl.window is not None:
        ctrl.window.close()


def click_ok(qtbot, buttons: QDialogButtonBox) -> None:
    qtbot.mouseClick(buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def test_create_a_ledger_through_the_start_dialog(qtbot, controller: Controller, tmp_path: Path) -> None:
    controller.start(None)
    start = controller.start_dialog
    assert isinstance(start, StartDialog) and start.isVisible()
    assert start.empty_label.isVisibleTo(start)

    qtbot.mouseClick(start.new_button, Qt.MouseButton.LeftButton)
    dialog = controller.new_dialog
    assert isinstance(dialog, NewLedgerDialog) and dialog.isVisible()
    qtbot.keyClicks(dialog.company_edit, "Muster GmbH")
    assert dialog.location_edit.text().endswith("muster-gmbh.kontor")
    target = tmp_path / "firma" / "muster"
    dialog.location_edit.setText(str(target))
    dialog.passphrase.passphrase_edit.setText("Kaffee Tasse Fenster 7")
    dialog.passphrase.repeat_edit.setText("Kaffee Tasse Fenster 7")
    dialog.remember_check.setChecked(True)
    click_ok(qtbot, dialog.buttons)

    qtbot.waitUntil(lambda: controller.window is not None and controller.window.isVisible(), timeout=10_000)
    assert controller.window is not None
    assert controller.window.windowTitle() == "Kontor — Muster GmbH"
    created = target.with_name("muster.kontor")
    assert created.is_file()
    assert secrets.remembered_passphrase(created) == "Kaffee Tasse Fenster 7"
    assert not start.isVisible()
    assert load_preferences().recent_ledgers[0] == str(created.resolve())


def test_new_ledger_dialog_keeps_problems_inline(qtbot, runner: JobRunner, tmp_path: Path) -> None:
    dialog = NewLedgerDialog(runner=runner, directory=tmp_path)
    qtbot.addWidget(dialog)
    dialog.open()
    click_ok(qtbot, dialog.buttons)
    assert "Company name" in dialog.error_label.text()

    dialog.company_edit.setText("Muster GmbH")
    dialog.passphrase.passphrase_edit.setText("one passphrase")
    dialog.passphrase.repeat_edit.setText("another one")
    click_ok(qtbot, dialog.buttons)
    assert dialog.error_label.text() == "The two passphrases differ."
    assert dialog.isVisible()

    existing = tmp_path / "taken.kontor"
    existing.write_bytes(b"")
    dialog.location_edit.setText(str(existing))
    dialog.passphrase.repeat_edit.setText("one passphrase")
    click_ok(qtbot, dialog.buttons)
    assert "exists already" in dialog.error_label.text()
    assert runner.active_jobs == 0


def test_strength_hint_follows_the_passphrase(qtbot, runner: JobRunner, tmp_path: Path) -> None:
    dialog = NewLedgerDialog(runner=runner, directory=tmp_path)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.passphrase.passphrase_edit, "abc")
    assert "Too short" in dialog.passphrase.strength_label.text()
    dialog.passphrase.passphrase_edit.setText("Kaffee Tasse Fenster Laterne")
    assert dialog.passphrase.strength_label.text() == "Strong."
    assert dialog.passphrase.passphrase_edit.echoMode() == QLineEdit.EchoMode.Password


def test_unlock_wrong_then_right_passphrase(qtbot, controller: Controller, demo_ledger_path: Path) -> None:
    controller.unlock(demo_ledger_path)
    dialog = controller.unlock_dialog
    assert isinstance(dialog, UnlockDialog) and dialog.isVisible()
    assert dialog.passphrase_edit.echoMode() == QLineEdit.EchoMode.Password

    dialog.passphrase_edit.setText("not the passphrase")
    click_ok(qtbot, dialog.buttons)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=10_000)
    assert dialog.error_label.text() == "Wrong passphrase or not a Kontor ledger."
    assert dialog.isVisible()
    assert controller.window is None
    qtbot.wait(300)  # it never retries by itself
    assert controller.runner.active_jobs == 0

    dialog.passphrase_edit.setText(DEMO_PASSPHRASE)
    click_ok(qtbot, dialog.buttons)
    qtbot.waitUntil(lambda: controller.window is not None and controller.window.isVisible(), timeout=10_000)
    assert controller.window.windowTitle() == "Kontor — Brenner Feinmechanik GmbH"
    assert not dialog.isVisible()


def test_empty_passphrase_is_refused_without_a_job(qtbot, runner: JobRunner, demo_ledger_path: Path) -> None:
    dialog = UnlockDialog(demo_ledger_path, runner=runner)
    qtbot.addWidget(dialog)
    dialog.open()
    click_ok(qtbot, dialog.buttons)
    assert dialog.error_label.text() == "Please enter the passphrase."
    assert runner.active_jobs == 0


def test_remember_checkbox_says_when_there_is_no_keyring(qtbot, runner, demo_ledger_path, monkeypatch) -> None:
    monkeypatch.setattr(secrets, "keyring_usable", lambda: False)
    dialog = UnlockDialog(demo_ledger_path, runner=runner)
    qtbot.addWidget(dialog)
    dialog.open()
    assert not dialog.remember_check.isEnabled()  # until the keyring has answered, on a worker after the paint
    qtbot.waitUntil(lambda: "no OS keyring available" in dialog.remember_check.text(), timeout=5000)
    assert not dialog.remember_check.isEnabled()


def test_remember_checkbox_is_enabled_once_the_keyring_answers(qtbot, runner, demo_ledger_path) -> None:
    dialog = UnlockDialog(demo_ledger_path, runner=runner)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitUntil(dialog.remember_check.isEnabled, timeout=5000)
    assert dialog.remember_check.text() == "Remember on this computer"


def test_kontor_passphrase_unlocks_without_asking(qtbot, controller, demo_ledger_path, monkeypatch) -> None:
    monkeypatch.setenv("KONTOR_PASSPHRASE", DEMO_PASSPHRASE)
    controller.start(demo_ledger_path)
    qtbot.waitUntil(lambda: controller.window is not None and controller.window.isVisible(), timeout=10_000)
    assert controller.unlock_dialog is None


def test_remembered_passphrase_is_tried_first(qtbot, controller, demo_ledger_path) -> None:
    """Show first: the dialog is on screen at once, saying the ledger is being opened, and never asks."""
    secrets.remember_passphrase(demo_ledger_path, DEMO_PASSPHRASE)
    controller.start(demo_ledger_path)
    dialog = controller.unlock_dialog
    assert dialog is not None and dialog.isVisible() and dialog.busy
    assert not dialog.passphrase_edit.isEnabled()
    assert dialog.status_label.text() == "Opening the ledger…"
    dialog.reject()  # refused while the ledger is being opened
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: controller.window is not None and controller.window.isVisible(), timeout=10_000)
    assert controller.unlock_dialog is None
    assert not dialog.isVisible()


def test_a_stale_remembered_passphrase_leads_to_the_dialog(qtbot, controller, demo_ledger_path) -> None:
    secrets.remember_passphrase(demo_ledger_path, "outdated")
    controller.start(demo_ledger_path)
    dialog = controller.unlock_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert "did not open" in dialog.error_label.text()
    assert dialog.passphrase_edit.isEnabled() and controller.unlock_dialog is dialog
    assert controller.window is None


def test_start_dialog_lists_recent_ledgers_and_opens_one(qtbot, controller, demo_ledger_path, tmp_path) -> None:
    controller.preferences.remember_ledger(tmp_path / "gone.kontor")
    controller.preferences.remember_ledger(demo_ledger_path)
    controller.preferences.last_ledger = None
    controller.start(None)
    start = controller.start_dialog
    assert start is not None and start.recent_list.count() == 2
    assert not start.recent_list.item(1).flags() & Qt.ItemFlag.ItemIsEnabled  # the missing file
    assert start.selected_path() == demo_ledger_path.resolve()
    qtbot.mouseClick(start.open_button, Qt.MouseButton.LeftButton)
    dialog = controller.unlock_dialog
    assert dialog is not None and dialog.isVisible() and dialog.path == demo_ledger_path.resolve()
    dialog.passphrase_edit.setText(DEMO_PASSPHRASE)
    click_ok(qtbot, dialog.buttons)
    qtbot.waitUntil(lambda: controller.window is not None and controller.window.isVisible(), timeout=10_000)
    assert not start.isVisible()


def test_last_ledger_goes_straight_to_the_unlock_dialog(qtbot, controller, demo_ledger_path) -> None:
    controller.preferences.remember_ledger(demo_ledger_path)
    controller.start(None)
    assert controller.unlock_dialog is not None and controller.unlock_dialog.isVisible()
    qtbot.waitUntil(lambda: not controller.unlock_dialog.busy, timeout=10_000)  # nothing in the keyring
    assert controller.start_dialog is None
    controller.unlock_dialog.reject()
    assert controller.start_dialog is not None and controller.start_dialog.isVisible()


def test_quitting_the_start_dialog_finishes(qtbot, controller) -> None:
    controller.start(None)
    with qtbot.waitSignal(controller.finished, timeout=2000):
        qtbot.mouseClick(controller.start_dialog.quit_button, Qt.MouseButton.LeftButton)


def test_a_statement_opened_with_kontor_is_imported_once_the_ledger_is_open(
    qtbot, controller: Controller, demo_ledger_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Ledger.open(demo_ledger_path, DEMO_PASSPHRASE) as ledger, ledger.session() as session:
        iban = session.scalars(select(BankAccount.iban).order_by(BankAccount.id)).first()
    assert iban is not None
    statement = tmp_path / "doppelklick.sta"
    booking = Booking(date(2026, 12, 1), Decimal("77.70"), "Doppelklick GmbH", "DE44500105175407324931", "Test 4711")
    statement.write_text(mt940(iban, [booking], opening=Decimal("0")), encoding="utf-8")
    monkeypatch.setenv("KONTOR_PASSPHRASE", DEMO_PASSPHRASE)
    controller.pending_imports = [statement]
    controller.start(demo_ledger_path)

    def imported() -> bool:
        window = controller.window
        if window is None:
            return False
        with window.unlocked.ledger.session() as session:
            return session.scalar(select(Transaction.id).where(Transaction.purpose.contains("Test 4711"))) is not None

    qtbot.waitUntil(imported, timeout=15_000)
    assert controller.pending_imports == []
