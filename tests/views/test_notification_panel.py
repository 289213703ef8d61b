"""The bell: unread count from the service, the popup list (newest first, unread bold), Mark all read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from reconciliation_ledger import INVOICES, PASSPHRASE, SmallLedger, build

from app.services.invoices.importing import import_invoices
from app.services.reconciliation.notifications import notifications, unread_count
from app.views.jobs import JobRunner
from app.views.main_window import MainWindow
from app.views.notification_panel import NotificationButton, NotificationListModel
from app.views.unlock_dialog import open_ledger


@pytest.fixture
def small(tmp_path: Path) -> Iterator[SmallLedger]:
    built = build(tmp_path / "small")
    yield built
    built.ledger.close()


def counted_button(qtbot, small: SmallLedger, runner: JobRunner) -> NotificationButton:
    button = NotificationButton(small.ledger, runner=runner)
    qtbot.addWidget(button)
    button.show()
    qtbot.waitUntil(lambda: button.count == unread_count(small.ledger), timeout=10_000)
    return button


def test_bell_counts_lists_and_marks_read(qtbot, small: SmallLedger, runner: JobRunner) -> None:
    button = counted_button(qtbot, small, runner)
    assert button.count == 3 and button.toolTip() == "3 unread notifications"
    with qtbot.waitSignal(button.listed, timeout=10_000) as listed:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert listed.args == [3] and button.popup.isVisible()
    expected = notifications(small.ledger)
    texts = [button.model.index(row).data() for row in range(button.model.rowCount())]
    assert [text.split("  ", 1)[1] for text in texts] == [n.message for n in expected]  # newest first
    assert button.model.index(0).data(Qt.ItemDataRole.FontRole).bold()
    assert button.popup.mark_all_button.isEnabled()
    with qtbot.waitSignal(button.listed, timeout=10_000):
        qtbot.mouseClick(button.popup.mark_all_button, Qt.MouseButton.LeftButton)
    assert button.count == 0 == unread_count(small.ledger)
    assert button.toolTip() == "No unread notifications" and not button.popup.mark_all_button.isEnabled()
    assert button.model.index(0).data(Qt.ItemDataRole.FontRole) is None  # read: no longer bold


def test_model(qtmodeltester, small: SmallLedger) -> None:
    model = NotificationListModel()
    model.set_rows(notifications(small.ledger))
    qtmodeltester.check(model)
    qtmodeltester.check(NotificationListModel())


def test_main_window_bell_follows_refreshes(qtbot, small: SmallLedger, runner: JobRunner, preferences) -> None:
    small.ledger.close()
    unlocked = open_ledger(small.path, PASSPHRASE)
    small.ledger = unlocked.ledger
    window = MainWindow(unlocked, runner=runner, preferences=preferences)
    qtbot.addWidget(window)
    window.show()
    bell = window.notification_button
    assert bell.parent() is not None and bell.isVisible()
    qtbot.waitUntil(lambda: bell.count == 3, timeout=10_000)
    changed = small.path.parent / "changed.csv"
    changed.write_text(INVOICES.replace("1.190,00", "1.290,00"), encoding="utf-8")
    import_invoices(unlocked.ledger, changed, actor="test")  # flags a paid invoice: one more notice
    with qtbot.waitSignal(bell.counted, timeout=10_000) as counted:
        window.refresh_pages()
    assert counted.args == [4] == [unread_count(unlocked.ledger)]
    window.close_quietly()
