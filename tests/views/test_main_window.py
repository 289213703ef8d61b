"""The main window at the user's level: navigation, dashboard figures, lock, backup, passphrase, settings, state."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from sqlalchemy import delete, func, select

from app.models.schema import Allocation, AuditEvent, BalanceSnapshot, BankAccount, Invoice, Transaction
from app.services.formatting import format_amount, format_date, from_cents
from app.services.ledger import audit
from app.services.ledger.actor import current_actor
from app.services.ledger.database import Ledger, WrongPassphraseError
from app.services.preferences import Preferences, load_preferences
from app.services.reconciliation.allocations import allocate_manually, undo_allocation
from app.views import main_window as main_window_module
from app.views.application import Controller
from app.views.dashboard_page import Card, DashboardPage
from app.views.datev_dialog import DatevDialog
from app.views.empty_page import EmptyStatePage
from app.views.invoices_page import InvoicesPage
from app.views.jobs import JobRunner
from app.views.main_window import MainWindow
from app.views.pages import PAGES, Page
from app.views.recent_transactions_model import RecentTransactionsModel
from app.views.settings_page import SettingsPage
from app.views.unlock_dialog import UnlockDialog, UnlockedLedger, open_ledger

DEMO_PASSPHRASE = "demo"  # the conftest's demo ledger


@pytest.fixture
def unlocked(demo_ledger_path: Path) -> Iterator[UnlockedLedger]:
    opened = open_ledger(demo_ledger_path, DEMO_PASSPHRASE)
    yield opened
    opened.ledger.close()


@pytest.fixture
def window(qtbot, unlocked: UnlockedLedger, runner: JobRunner, preferences: Preferences) -> Iterator[MainWindow]:
    main = MainWindow(unlocked, runner=runner, preferences=preferences)
    qtbot.addWidget(main)
    main.show()
    yield main
    main.close_quietly()


def dashboard_of(window: MainWindow) -> DashboardPage:
    page = window.pages[Page.DASHBOARD]
    assert isinstance(page, DashboardPage)
    return page


def test_title_and_status_bar_name_the_ledger(window: MainWindow) -> None:
    assert window.windowTitle() == "Kontor — Brenner Feinmechanik GmbH"
    assert window.file_label.text() == "brenner.kontor"
    assert window.company_label.text() == "Brenner Feinmechanik GmbH"
    assert window.lock_label.text() == "Unlocked"
    assert [a.text() for a in window.file_menu.actions() if a.text()] == [
        "&New ledger…",
        "&Open ledger…",
        "Connect to &server…",
        "&Import statements…",
        "Export for the tax advisor (&DATEV)…",
        "&Backup…",
        "Change &passphrase…",
        "&Lock",
        "&Sign in / switch user…",
        "Sign &out",
        "&Quit",
    ]
    assert window.user_label.text() == "Not signed in (review only)"
    assert window.sign_in_dialog is None  # the demo ledger has no users, so nobody is asked to sign in


def test_sidebar_clicks_show_every_page(qtbot, window: MainWindow) -> None:
    for spec in PAGES:
        item = window.sidebar.item(spec.page)
        rect = window.sidebar.visualItemRect(item)
        qtbot.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert window.current_page() == spec.page
        assert window.stack.currentWidget() is window.pages[spec.page]
        assert window.page_actions[spec.page].isChecked()
        page = window.pages[spec.page]
        if isinstance(page, EmptyStatePage):
            assert page.title_label.text() == item.text()
            assert "File › Import" in page.hint_label.text() or page.hint_label.text()
    assert isinstance(window.pages[Page.SETTINGS], SettingsPage)
    assert isinstance(window.pages[Page.INVOICES], InvoicesPage)


def test_ctrl_number_shortcuts_switch_pages(qtbot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    for spec in reversed(PAGES):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_1 + spec.page), Qt.KeyboardModifier.ControlModifier)
        assert window.current_page() == spec.page


def test_dashboard_shows_the_demo_balances(qtbot, window: MainWindow, unlocked: UnlockedLedger) -> None:
    page = dashboard_of(window)
    qtbot.waitUntil(lambda: page.summary is not None, timeout=10_000)
    with unlocked.ledger.session() as session:
        last_day = session.scalar(select(func.max(BalanceSnapshot.balance_on)))
        expected = dict(
            session.execute(
                select(BankAccount.name, BalanceSnapshot.amount_cents)
                .join(BalanceSnapshot, BalanceSnapshot.account_id == BankAccount.id)
                .where(BalanceSnapshot.balance_on == last_day)
            ).all()
        )
    cards = {card.title_label.text(): card.value_label.text() for card in page.findChildren(Card)}
    assert expected and set(expected) <= set(cards)
    for name, cents in expected.items():
        assert cards[name] == format_amount(from_cents(cents))
    assert page.total_card.value_label.text() == format_amount(from_cents(sum(expected.values())))
    assert page.company_label.text() == "Brenner Feinmechanik GmbH"
    assert page.recent_model.rowCount() == 10
    assert page.open_card.value_label.text() == str(page.summary.open_invoice_count)
    with unlocked.ledger.session() as session:
        open_payments = session.scalar(
            select(func.count()).where(
                Transaction.status == "booked",
                Transaction.reconciliation.in_(("open", "partial")),
                Transaction.return_reason == "",
            )
        )
    waiting = open_payments + page.summary.runs_to_approve  # payments to resolve and runs to approve
    assert page.resolve_card.value_label.text() == str(waiting)
    expected = "every payment is done" if open_payments == 0 else "need you"
    assert expected in page.resolve_card.detail_label.text()


def test_the_forecast_card_follows_the_figures(qtbot, window: MainWindow, unlocked: UnlockedLedger) -> None:
    """The figures do not wait for the 13-week forecast; its card fills in after them, with the lowest balance."""
    from app.services.reports.dashboard import dashboard_outlook

    page = dashboard_of(window)
    qtbot.waitUntil(lambda: page.outlook is not None, timeout=10_000)
    assert page.summary is not None
    expected = dashboard_outlook(unlocked.ledger)
    assert expected.lowest_cents is not None and expected.lowest_from is not None
    assert page.forecast_card.value_label.text() == format_amount(from_cents(expected.lowest_cents))
    assert format_date(expected.lowest_from) in page.forecast_card.detail_label.text()


def test_the_dashboard_loads_before_the_hidden_pages(
    qtbot, unlocked: UnlockedLedger, runner: JobRunner, preferences: Preferences, monkeypatch
) -> None:
    """Jobs share one interpreter lock: the page on screen loads before the hidden pages start theirs, and the
    page the user opens next loads at once."""
    from app.services.invoices.open_items import invoice_rows
    from app.services.reports.dashboard import dashboard_summary
    from app.views import dashboard_page, invoices_page

    log: list[str] = []

    def summary(ledger: Ledger) -> object:
        log.append("dashboard start")
        found = dashboard_summary(ledger)
        log.append("dashboard end")
        return found

    def rows(*args: object) -> object:
        log.append("invoices start")
        return invoice_rows(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(dashboard_page, "dashboard_summary", summary)
    monkeypatch.setattr(invoices_page, "invoice_rows", rows)
    main = MainWindow(unlocked, runner=runner, preferences=preferences)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitUntil(lambda: runner.active_jobs == 0, timeout=10_000)
    assert log == ["dashboard start", "dashboard end", "invoices start"]

    log.clear()
    main.refresh_pages()  # after an import: the page on screen first again
    qtbot.waitUntil(lambda: runner.active_jobs == 0, timeout=10_000)
    assert log == ["dashboard start", "dashboard end", "invoices start"]
    main.close_quietly()


def test_recent_transactions_model(qtmodeltester, qtbot, window: MainWindow) -> None:
    page = dashboard_of(window)
    qtbot.waitUntil(lambda: page.summary is not None, timeout=10_000)
    qtmodeltester.check(page.recent_model)
    qtmodeltester.check(RecentTransactionsModel())


def test_lock_returns_to_the_unlock_dialog(qtbot, demo_ledger_path, runner, preferences, monkeypatch) -> None:
    monkeypatch.setenv("KONTOR_PASSPHRASE", DEMO_PASSPHRASE)
    controller = Controller(preferences=preferences, runner=runner)
    controller.start(demo_ledger_path)
    qtbot.waitUntil(lambda: controller.window is not None and controller.window.isVisible(), timeout=10_000)
    window = controller.window
    assert window is not None
    with qtbot.waitSignal(window.locked, timeout=5000):
        window.lock_action.trigger()
    assert not window.isVisible()
    assert window.lock_label.text() == "Locked"
    assert controller.window is None
    dialog = controller.unlock_dialog
    assert isinstance(dialog, UnlockDialog) and dialog.isVisible()  # no automatic unlock after Lock
    dialog.passphrase_edit.setText(DEMO_PASSPHRASE)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.window is not None and controller.window.isVisible(), timeout=10_000)
    controller.window.close()


def test_backup_runs_in_a_worker_and_opens(qtbot, window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "backups" / "copy.kontor"
    monkeypatch.setattr(main_window_module, "choose_backup_file", lambda parent, suggested: target)
    window.backup_action.trigger()
    qtbot.waitUntil(lambda: "Backup written" in window.statusBar().currentMessage(), timeout=10_000)
    copy = Ledger.open(target, DEMO_PASSPHRASE)
    try:
        assert copy.company_name() == "Brenner Feinmechanik GmbH"
    finally:
        copy.close()


def test_change_passphrase(qtbot, window: MainWindow, demo_ledger_path: Path) -> None:
    window.passphrase_action.trigger()
    dialog = window.passphrase_dialog
    assert dialog is not None and dialog.isVisible()
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    dialog.old_edit.setText("wrong")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.error_label.text() == "The current passphrase is not correct."
    dialog.old_edit.setText(DEMO_PASSPHRASE)
    dialog.new.passphrase_edit.setText("Neue Passphrase 2026")
    dialog.new.repeat_edit.setText("Neue Passphrase 2026")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Passphrase changed.", timeout=10_000)
    assert window.unlocked.passphrase == "Neue Passphrase 2026"
    window.close_quietly()
    with pytest.raises(WrongPassphraseError):
        Ledger.open(demo_ledger_path, DEMO_PASSPHRASE)
    Ledger.open(demo_ledger_path, "Neue Passphrase 2026").close()


def test_settings_rename_company_with_audit_event(qtbot, window: MainWindow, unlocked: UnlockedLedger) -> None:
    window.show_page(Page.SETTINGS)
    page = window.pages[Page.SETTINGS]
    assert isinstance(page, SettingsPage)
    page.company_edit.setText("Brenner Präzision GmbH")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.company_status.text() == "Saved.", timeout=10_000)
    assert window.windowTitle() == "Kontor — Brenner Präzision GmbH"
    with unlocked.ledger.session() as session:
        last = session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert last is not None and last.entity == "company_settings" and "Brenner Präzision" in last.summary
        assert audit.verify(session).ok

    page.company_edit.setText("   ")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(page.company_error.isVisible, timeout=10_000)
    assert "Company name" in page.company_error.text()


def test_settings_language_is_saved_for_next_start(window: MainWindow) -> None:
    page = window.pages[Page.SETTINGS]
    assert isinstance(page, SettingsPage)
    page.language_combo.setCurrentIndex(page.language_combo.findData("de"))
    assert load_preferences().language == "de"
    assert "next start" in page.language_note.text()


def test_geometry_and_splitter_are_restored(qtbot, unlocked, runner, preferences) -> None:
    first = MainWindow(unlocked, runner=runner, preferences=preferences)
    qtbot.addWidget(first)
    first.show()
    first.resize(780, 560)
    first.splitter.setSizes([170, 610])
    qtbot.waitUntil(lambda: first.width() == 780)
    sidebar_width = first.splitter.sizes()[0]
    first.save_ui_state()

    second = MainWindow(unlocked, runner=runner, preferences=preferences)
    qtbot.addWidget(second)
    second.show()
    assert (second.width(), second.height()) == (780, 560)
    assert second.splitter.sizes()[0] == sidebar_width


def test_about_names_version_and_qt(window: MainWindow, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    window.about_action.trigger()
    from PySide6.QtCore import qVersion

    assert "Kontor 0.1.0" in shown[0] and qVersion() in shown[0]


def test_open_and_new_are_handed_to_the_application(qtbot, window: MainWindow, monkeypatch, tmp_path) -> None:
    other = tmp_path / "other.kontor"
    monkeypatch.setattr(main_window_module, "choose_ledger_file", lambda parent: other)
    with qtbot.waitSignal(window.open_ledger_requested) as blocker:
        window.open_action.trigger()
    assert blocker.args == [other]
    with qtbot.waitSignal(window.new_ledger_requested):
        window.new_action.trigger()


def test_closing_closes_the_ledger_and_announces_it(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.closed):
        window.quit_action.trigger()
    assert window.lock_label.text() == "Locked"
    assert sys.excepthook is sys.__excepthook__ or callable(sys.excepthook)


def test_a_ledger_cut_outside_kontor_is_warned_about_at_unlock(qtbot, demo_ledger_path, runner, preferences) -> None:
    Ledger.open(demo_ledger_path, DEMO_PASSPHRASE).close()  # this computer saw the head once
    cut = Ledger.open(demo_ledger_path, DEMO_PASSPHRASE)
    with cut.writer() as session:
        events = session.scalar(select(func.count(AuditEvent.id)))
        session.execute(delete(AuditEvent).where(AuditEvent.id == select(func.max(AuditEvent.id)).scalar_subquery()))
    cut.close()
    unlocked = open_ledger(demo_ledger_path, DEMO_PASSPHRASE)
    main = MainWindow(unlocked, runner=runner, preferences=preferences)
    qtbot.addWidget(main)
    try:
        qtbot.waitUntil(lambda: main.audit_warning is not None and main.audit_warning.isVisible(), timeout=10_000)
        assert f"(event {events})" in main.audit_warning.text() and "audit verify" in main.audit_warning.text()
    finally:
        main.close_quietly()
        unlocked.ledger.close()


def test_the_datev_export_from_the_file_menu(qtbot, window: MainWindow, tmp_path, monkeypatch) -> None:
    target = tmp_path / "EXTF_Buchungsstapel.csv"
    monkeypatch.setattr(DatevDialog, "choose_file", lambda dialog: target)
    window.datev_action.trigger()
    dialog = window.datev_dialog
    dialog.consultant_spin.setValue(29098)
    dialog.client_spin.setValue(55003)
    with qtbot.waitSignal(dialog.exported, timeout=15_000) as done:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert done.args[0].lines > 0 and target.read_bytes().startswith(b'"EXTF";700;21;"Buchungsstapel"')
    assert "bank bookings written to" in window.statusBar().currentMessage()


def test_ctrl_z_undoes_the_users_last_map_booking(qtbot, window: MainWindow, unlocked: UnlockedLedger) -> None:
    ledger = unlocked.ledger
    with ledger.session() as session:  # a payment the engine booked on one invoice, taken back to be mapped by hand
        allocation = session.scalars(select(Allocation).where(Allocation.method == "auto").limit(1)).one()
        payment_id, cents = allocation.transaction_id, allocation.amount_cents
        invoice_id, number = allocation.invoice_id, session.get(Invoice, allocation.invoice_id).number
    undo_allocation(ledger, transaction_id=payment_id, actor="engine-check")
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: "Nothing to undo" in window.statusBar().currentMessage(), timeout=10_000)
    allocate_manually(ledger, payment_id, [(invoice_id, from_cents(cents))], actor=current_actor())
    assert window.undo_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)
    assert window.undo_action in window.edit_menu.actions()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Undone: "), timeout=10_000)
    assert number in window.statusBar().currentMessage()
    assert format_amount(from_cents(cents)) in window.statusBar().currentMessage()
    with ledger.session() as session:
        assert session.get(Transaction, payment_id).reconciliation == "open"
        assert audit.verify(session).ok


def test_an_empty_dashboard_offers_the_first_steps(
    qtbot, tmp_path: Path, runner: JobRunner, preferences: Preferences, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_ledger(tmp_path / "neu.kontor", "pw", company_name="Neu GmbH").close()
    unlocked = open_ledger(tmp_path / "neu.kontor", "pw")
    main = MainWindow(unlocked, runner=runner, preferences=preferences)
    qtbot.addWidget(main)
    main.show()
    try:
        dashboard = dashboard_of(main)
        qtbot.waitUntil(dashboard.first_steps.isVisible, timeout=10_000)
        chosen: list[str] = []
        monkeypatch.setattr(main_window_module, "choose_statement_files", lambda parent: chosen.append("asked") or [])
        qtbot.mouseClick(dashboard.statement_button, Qt.MouseButton.LeftButton)
        assert chosen == ["asked"]
        qtbot.mouseClick(dashboard.connect_button, Qt.MouseButton.LeftButton)
        assert main.bank_flow.wizard.isVisible()  # the bank connection wizard
        main.bank_flow.wizard.reject()
        qtbot.mouseClick(dashboard.invoices_button, Qt.MouseButton.LeftButton)
        invoices = main.pages[Page.INVOICES]
        assert main.current_page() == Page.INVOICES and isinstance(invoices, InvoicesPage)
        assert invoices.import_dialog is not None and invoices.import_dialog.isVisible()
        invoices.import_dialog.reject()
    finally:
        main.close_quietly()
        unlocked.ledger.close()
