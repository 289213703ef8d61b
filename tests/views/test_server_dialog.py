"""Connect to server…: from the start dialog to the main window of a ledger on a real PostgreSQL server, a refused
URL shown inline, and File › Lock asking for the server again."""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_templates import server_url
from pg_cluster import Cluster
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.services.ledger.server import create_server
from app.services.preferences import Preferences, load_preferences
from app.views.application import Controller
from app.views.jobs import JobRunner
from app.views.server_dialog import ServerDialog

pytestmark = pytest.mark.server


@pytest.fixture
def controller(qtbot, runner: JobRunner, preferences: Preferences):
    ctrl = Controller(preferences=preferences, runner=runner)
    yield ctrl
    if ctrl.window is not None:
        ctrl.window.close()


def _connect(qtbot, dialog: ServerDialog) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def test_connect_to_a_server_ledger_from_the_start_dialog(
    qtbot, controller: Controller, pg_cluster: Cluster, tmp_path: Path
) -> None:
    url = server_url(pg_cluster)
    create_server(url, company_name="Server GmbH").close()
    controller.start(None)
    start = controller.start_dialog
    assert start is not None
    qtbot.mouseClick(start.server_button, Qt.MouseButton.LeftButton)
    dialog = controller.server_dialog
    assert isinstance(dialog, ServerDialog) and dialog.isVisible()

    dialog.url_edit.setText(url.replace("127.0.0.1", "db.firma.example"))  # TLS lowered for another computer
    _connect(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=10_000)
    assert "verify-full" in dialog.error_label.text() and dialog.isVisible()
    dialog.grab().save(str(tmp_path / "server-dialog.png"))  # looked at as /tmp/pg/server-dialog.png

    dialog.url_edit.setText(url)  # the password comes from the PGPASSFILE
    _connect(qtbot, dialog)
    qtbot.waitUntil(lambda: controller.window is not None and controller.window.isVisible(), timeout=10_000)
    window = controller.window
    assert window is not None and window.windowTitle() == "Kontor — Server GmbH"
    assert window.file_label.toolTip() == url and not window.backup_action.isEnabled()
    assert load_preferences().recent_ledgers == []  # the recent list is for files

    window.lock()
    qtbot.waitUntil(lambda: controller.server_dialog is not None and controller.server_dialog.isVisible())
    assert controller.server_dialog is not None and controller.server_dialog.url_edit.text() == url
