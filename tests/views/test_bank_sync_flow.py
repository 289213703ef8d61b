"""Bank › Sync now from the main window against the demo bank: PIN and TAN dialogs, progress, summary, new rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from PySide6.QtWidgets import QInputDialog

from app.demobank import DEMO_PIN, DemoBank, DemoBankServer, Policy
from app.services.banking.account_choice import choose_accounts, left_out_accounts
from app.services.banking.connections import FIRST_SYNC_DAYS, list_connections
from app.services.demo.setup import connect_demo_bank
from app.services.formatting import grouped_iban
from app.services.preferences import Preferences
from app.views.demo_phone_dialog import DemoPhoneDialog
from app.views.jobs import JobRunner
from app.views.main_window import MainWindow
from app.views.pages import Page
from app.views.tan_dialog import TanDialog
from app.views.transactions_page import TransactionsPage
from app.views.unlock_dialog import open_ledger


@pytest.fixture
def bank_server() -> Iterator[DemoBankServer]:
    server = DemoBankServer(DemoBank(seed=5)).start()
    yield server
    server.stop()


@pytest.fixture
def window(
    qtbot, tmp_path: Path, runner: JobRunner, preferences: Preferences, bank_server: DemoBankServer
) -> Iterator[MainWindow]:
    path = tmp_path / "firma.kontor"
    ledger = new_ledger(path, "pw", company_name="Firma GmbH")
    connect_demo_bank(ledger, bank_server, actor="test")
    ledger.close()
    main = MainWindow(open_ledger(path, "pw"), runner=runner, preferences=preferences, demo=bank_server)
    qtbot.addWidget(main)
    main.show()
    yield main
    main.close_quietly()


def bookings_since_first_sync(bank: DemoBank) -> int:
    start = date.today() - timedelta(days=FIRST_SYNC_DAYS)
    return sum(len(bank.bookings(iban, start, date.today())) for iban in bank.accounts)


def type_pin(qtbot, window: MainWindow) -> None:
    dialogs = window.bank_flow.prompt_dialogs
    qtbot.waitUntil(lambda: isinstance(dialogs.dialog, QInputDialog), timeout=20000)
    assert "demo" in dialogs.dialog.labelText()  # type: ignore[union-attr]
    dialogs.dialog.setTextValue(DEMO_PIN)  # type: ignore[union-attr]
    dialogs.dialog.accept()  # type: ignore[union-attr]


def test_sync_imports_the_bookings_and_reports_progress(qtbot, window: MainWindow, bank_server: DemoBankServer) -> None:
    page = window.pages[Page.TRANSACTIONS]
    assert isinstance(page, TransactionsPage)
    assert page.model.rowCount() == 0
    assert window.toolbar.actions()[0] is window.bank_flow.sync_action
    assert window.demo_label.text() == "Demo bank: login demo, PIN 12345"
    activity: list[str] = []
    window.bank_flow.activity.connect(activity.append)
    window.bank_flow.sync_action.trigger()
    assert window.bank_flow.cancel_button.isVisibleTo(window)
    type_pin(qtbot, window)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Sync finished"), timeout=30000)
    expected = bookings_since_first_sync(bank_server.bank)
    assert f"Sync finished: {expected} new transactions (Geschäftskonto" in window.statusBar().currentMessage()
    assert any(text.startswith("Sync: Kontor Demobank 1/2") for text in activity), activity
    assert activity[-1] == "" and not window.activity_label.isVisible()
    assert not window.bank_flow.cancel_button.isVisibleTo(window)
    qtbot.waitUntil(lambda: page.model.rowCount() == expected, timeout=20000)
    [connection] = list_connections(window.unlocked.ledger)
    assert connection.last_sync_at is not None


def test_sync_with_a_tan_is_answered_from_the_demo_phone(
    qtbot, window: MainWindow, bank_server: DemoBankServer
) -> None:
    bank_server.bank.policy = Policy(init_sca="always")  # the bank wants a TAN for every login now
    window.bank_flow.sync_action.trigger()
    type_pin(qtbot, window)
    dialogs = window.bank_flow.prompt_dialogs
    qtbot.waitUntil(lambda: isinstance(dialogs.dialog, TanDialog), timeout=20000)
    dialog = dialogs.dialog
    assert isinstance(dialog, TanDialog) and dialog.challenge.kind == "text"
    assert [m.reference for m in bank_server.bank.pending_tans()] == [dialog.challenge.reference]
    dialog.demo_fill_button.click()
    assert dialog.tan() == bank_server.bank.pending_tans()[0].tan
    dialog.accept()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Sync finished"), timeout=30000)
    assert bank_server.bank.pending_tans() == []


def test_cancelled_pin_stops_the_sync(qtbot, window: MainWindow) -> None:
    window.bank_flow.sync_action.trigger()
    dialogs = window.bank_flow.prompt_dialogs
    qtbot.waitUntil(lambda: isinstance(dialogs.dialog, QInputDialog), timeout=20000)
    dialogs.dialog.reject()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Sync cancelled.", timeout=20000)
    assert window.bank_flow.sync_action.isEnabled()


def test_demo_phone_and_manage_dialogs_open(qtbot, window: MainWindow) -> None:
    window.demo_phone_action.trigger()
    assert isinstance(window.demo_phone, DemoPhoneDialog) and window.demo_phone.empty_label.isVisibleTo(
        window.demo_phone
    )
    window.bank_flow.manage_action.trigger()
    dialog = window.bank_flow.connections_dialog
    assert dialog is not None and dialog.list.count() == 1
    assert "Kontor Demobank — demo · 2 accounts · last sync: never synced" == dialog.list.item(0).text()
    window.demo_phone.close()
    dialog.close()


def test_a_left_out_account_is_included_again_from_manage_connections(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = window.unlocked.ledger
    [connection] = list_connections(ledger)
    savings = connection.accounts[1]
    choose_accounts(ledger, connection.id, names={}, excluded=[savings], actor="test")
    window.bank_flow.manage_action.trigger()
    dialog = window.bank_flow.connections_dialog
    assert dialog is not None and dialog.list.item(0).text().endswith(" · 1 left out")
    assert not dialog.include_button.isEnabled()
    dialog.list.setCurrentRow(0)
    assert dialog.include_button.isEnabled()
    offered: list[list[str]] = []
    monkeypatch.setattr(
        QInputDialog, "getItem", lambda parent, title, label, items, *rest: offered.append(items) or (items[0], True)
    )
    dialog.include_button.click()
    assert offered == [[grouped_iban(savings)]]
    assert left_out_accounts(ledger, connection.id) == [] and not dialog.list.item(0).text().endswith("left out")
    dialog.close()


def test_sync_with_warnings_opens_the_per_account_results(
    qtbot, window: MainWindow, bank_server: DemoBankServer, tmp_path: Path
) -> None:
    business, savings = list(bank_server.bank.accounts)
    bank_server.bank.policy = Policy(no_balance_for=(business,), empty_camt_document=True)
    window.bank_flow.sync_action.trigger()
    type_pin(qtbot, window)
    qtbot.waitUntil(lambda: window.bank_flow.results_dialog is not None, timeout=30000)
    dialog = window.bank_flow.results_dialog
    assert dialog is not None and dialog.isVisible()
    assert "warnings" in window.statusBar().currentMessage()
    [bank] = [dialog.tree.topLevelItem(i) for i in range(dialog.tree.topLevelItemCount())]
    assert bank.text(0) == "Kontor Demobank (demo)"
    rows = {bank.child(i).text(0).split(" · ")[-1]: bank.child(i) for i in range(bank.childCount())}
    assert set(rows) == {business, savings}
    assert rows[business].text(3) == "none" and rows[savings].text(3) != "none"
    expected = bookings_since_first_sync(bank_server.bank)
    assert sum(int(row.text(1)) for row in rows.values()) == expected  # the empty documents lost nothing
    warnings = [rows[business].child(i).text(0) for i in range(rows[business].childCount())]
    assert warnings[0].startswith("No balance from the bank") and "could not be read" in warnings[1]
    assert dialog.grab().save(str(tmp_path / "sync-results.png"))


def test_a_refusing_bank_is_a_result_row_not_the_end(qtbot, window: MainWindow, bank_server: DemoBankServer) -> None:
    bank_server.bank.policy = Policy(temporary_lock=True)
    window.bank_flow.sync_action.trigger()
    type_pin(qtbot, window)
    qtbot.waitUntil(lambda: window.bank_flow.results_dialog is not None, timeout=30000)
    dialog = window.bank_flow.results_dialog
    assert dialog is not None
    top = dialog.tree.topLevelItem(0)
    assert top.text(4) == "Not synced"
    assert top.child(0).text(0).startswith("The online banking access") and "3931" in top.child(0).text(0)
    assert "1 bank not synced" in window.statusBar().currentMessage()
    assert window.bank_flow.sync_action.isEnabled()
