"""Signing in at the user's level (issue 11): after unlocking a ledger with users the window asks who works there,
shows it, records it as the creator of orders, and without a sign-in payments are refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from payments_ledger import HUBER_AT, PASS, PASSWORDS, make_ledger
from PySide6.QtCore import Qt
from sqlalchemy import select

from app.models.schema import AuditEvent
from app.services.payments.runs import list_runs, run_orders
from app.services.preferences import Preferences
from app.views.jobs import JobRunner
from app.views.main_window import MainWindow
from app.views.pages import Page
from app.views.payments_page import PaymentsPage
from app.views.sign_in_dialog import SignInDialog
from app.views.transfer_dialog import TransferDialog
from app.views.unlock_dialog import UnlockedLedger


@pytest.fixture
def window(qtbot, tmp_path: Path, runner: JobRunner, preferences: Preferences) -> Iterator[MainWindow]:
    ledger = make_ledger(tmp_path / "firma.kontor")
    main = MainWindow(UnlockedLedger(ledger, PASS, "Müller Feinmechanik GmbH"), runner=runner, preferences=preferences)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitUntil(lambda: main.sign_in_dialog is not None and main.sign_in_dialog.isVisible(), timeout=10_000)
    yield main
    main.close_quietly()


def submit_sign_in(qtbot, dialog: SignInDialog, name: str, password: str) -> None:
    dialog.user_edit.setText(name)
    dialog.password_edit.setText(password)
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.buttons.isEnabled, timeout=10_000)


def test_sign_in_after_unlock_names_the_user_everywhere(qtbot, window: MainWindow) -> None:
    dialog = window.sign_in_dialog
    assert dialog is not None
    assert window.user_label.text() == "Not signed in (review only)"
    submit_sign_in(qtbot, dialog, "anna", "falsch")
    assert dialog.isVisible() and "Wrong password or unknown user anna" in dialog.error_label.text()
    assert dialog.password_edit.text() == "" and window.identity.user is None
    dialog.grab().save("/tmp/kontor-sign-in.png")
    with qtbot.waitSignal(dialog.signed_in, timeout=10_000):
        submit_sign_in(qtbot, dialog, "anna", PASSWORDS["anna"])
    assert not dialog.isVisible()
    assert window.user_label.text() == "Signed in as anna (bookkeeper)"
    assert window.windowTitle() == "Kontor — Müller Feinmechanik GmbH — anna"
    assert window.sign_out_action.isEnabled()
    window.grab().save("/tmp/kontor-signed-in.png")
    with window.unlocked.ledger.session() as session:
        actions = session.scalars(select(AuditEvent.summary).where(AuditEvent.entity == "sign_in")).all()
    assert actions == ["wrong password or unknown user anna", "anna signed in"]

    window.sign_out_action.trigger()
    assert window.identity.user is None and window.windowTitle() == "Kontor — Müller Feinmechanik GmbH"
    window.sign_in_action.trigger()
    assert window.sign_in_dialog is not None and window.sign_in_dialog is not dialog
    with qtbot.waitSignal(window.sign_in_dialog.signed_in, timeout=10_000):
        submit_sign_in(qtbot, window.sign_in_dialog, "bob", PASSWORDS["bob"])
    assert window.user_label.text() == "Signed in as bob (approver)"


def new_transfer(window: MainWindow) -> TransferDialog:
    """Payments › New transfer, filled in as the user does it; the caller clicks OK."""
    page = window.pages[Page.PAYMENTS]
    assert isinstance(page, PaymentsPage)
    window.show_page(Page.PAYMENTS)
    page.transfer_action.trigger()
    dialog = page.dialog
    assert isinstance(dialog, TransferDialog)
    dialog.name_edit.setText("Huber GmbH")
    dialog.iban_edit.setText(HUBER_AT)
    dialog.amount_edit.setText("100,00")
    dialog.text_edit.setPlainText("Porto")
    return dialog


def test_cancel_reviews_without_paying_and_orders_carry_the_signed_in_creator(
    qtbot, window: MainWindow, shown_messages
) -> None:
    dialog = window.sign_in_dialog
    assert dialog is not None
    dialog.reject()
    assert window.identity.user is None
    refused = new_transfer(window)
    refused.ok_button.click()
    qtbot.waitUntil(lambda: refused.errors.text("") != "", timeout=10_000)
    assert refused.errors.text("") == "Sign in to change payments." and shown_messages == []
    assert list_runs(window.unlocked.ledger) == []
    refused.reject()

    window.sign_in_action.trigger()
    assert window.sign_in_dialog is not None
    with qtbot.waitSignal(window.sign_in_dialog.signed_in, timeout=10_000):
        submit_sign_in(qtbot, window.sign_in_dialog, "anna", PASSWORDS["anna"])
    created = new_transfer(window)
    created.ok_button.click()  # a first-time recipient: the warning comes before the order is added
    qtbot.waitUntil(created.warning_label.isVisible, timeout=10_000)
    with qtbot.waitSignal(created.created, timeout=10_000):
        created.ok_button.click()
    [run] = list_runs(window.unlocked.ledger)
    assert run.created_by == "anna"
    assert [order.created_by for order in run_orders(window.unlocked.ledger, run.id)] == ["anna"]
