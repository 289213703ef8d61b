"""Importing statements from the main window: File › Import, dropped files, results, a missing account."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from statement_files import camt053, mt940
from test_statement_import import IBAN, bookings

from app.services.preferences import Preferences
from app.views import statement_import_flow
from app.views.jobs import JobRunner
from app.views.main_window import MainWindow
from app.views.pages import Page
from app.views.transactions_page import TransactionsPage
from app.views.unlock_dialog import open_ledger


@pytest.fixture
def window(qtbot, tmp_path: Path, runner: JobRunner, preferences: Preferences) -> Iterator[MainWindow]:
    path = tmp_path / "leer.kontor"
    new_ledger(path, "pw", company_name="Leer GmbH").close()
    unlocked = open_ledger(path, "pw")
    main = MainWindow(unlocked, runner=runner, preferences=preferences)
    qtbot.addWidget(main)
    main.show()
    yield main
    main.close_quietly()


def transactions_page(window: MainWindow) -> TransactionsPage:
    page = window.pages[Page.TRANSACTIONS]
    assert isinstance(page, TransactionsPage)
    return page


def test_file_menu_import_shows_results_and_refreshes_the_table(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    camt = tmp_path / "maerz.xml"
    camt.write_text(camt053(IBAN, bookings(), opening=Decimal("100")), encoding="utf-8")
    broken = tmp_path / "kaputt.xml"
    broken.write_text("<Document><BkToCstmrStmt>", encoding="utf-8")
    monkeypatch.setattr(statement_import_flow, "choose_statement_files", lambda parent: [camt, broken])
    monkeypatch.setattr("app.views.main_window.choose_statement_files", lambda parent: [camt, broken])

    window.import_action.trigger()
    qtbot.waitUntil(lambda: window.importer.dialog is not None and window.importer.dialog.isVisible(), timeout=20000)
    dialog = window.importer.dialog
    assert dialog.summary_label.text().startswith("4 new transactions · 0 duplicates skipped · 1 file not imported")
    assert dialog.table.item(0, 0).text() == "maerz.xml" and dialog.table.item(0, 2).text() == "4"
    assert dialog.table.item(1, 1).text() == "not imported"
    assert "kaputt.xml" in dialog.details.toPlainText()
    page = transactions_page(window)
    qtbot.waitUntil(lambda: page.model.rowCount() == 4, timeout=20000)
    assert not dialog.grab().isNull()


def test_dropped_file_without_iban_is_imported_into_the_chosen_account(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    text = mt940(IBAN, bookings(), opening=Decimal("0")).replace(f":25:{IBAN}", ":25:ACME/77")
    dropped = tmp_path / "ohne-iban.sta"
    dropped.write_text(text, encoding="latin-1")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(dropped))])
    event = QDropEvent(
        QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.importer.dialog is not None and window.importer.dialog.isVisible(), timeout=20000)
    first = window.importer.dialog
    assert first.needing_account == [dropped] and first.account_combo is not None
    first.account_combo.setEditText(IBAN)
    first._on_import_button_clicked()
    qtbot.waitUntil(lambda: window.importer.dialog is not first and window.importer.dialog.isVisible(), timeout=20000)
    assert window.importer.dialog.table.item(0, 2).text() == "4"
    page = transactions_page(window)
    qtbot.waitUntil(lambda: page.model.rowCount() == 4, timeout=20000)


def test_csv_with_unclear_columns_is_imported_with_the_corrected_guess(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    """Only an unclear CSV gets the mapping row, prefilled with the detector's guess; the corrected spec imports."""
    dropped = tmp_path / f"Umsaetze_{IBAN}.csv"
    dropped.write_text("Tag;Gegenüber;Zweck;Wert\n02.03.2026;Müller GmbH;RE-1;1.190,00\n", encoding="utf-8")
    window.importer.import_files([dropped])
    qtbot.waitUntil(lambda: window.importer.dialog is not None and window.importer.dialog.isVisible(), timeout=20000)
    first = window.importer.dialog
    assert [path for path, _guess in first.needing_mapping] == [dropped] and not first.needing_account
    (edit,) = first.mapping_edits
    assert "amount=Wert" in edit.text() and "delimiter=semicolon" in edit.text()
    edit.setText(edit.text() + ",date=Tag,name=Gegenüber,purpose=Zweck")
    first._on_mapping_confirmed(dropped, edit.text())
    qtbot.waitUntil(lambda: window.importer.dialog is not first and window.importer.dialog.isVisible(), timeout=20000)
    second = window.importer.dialog
    assert second.table.item(0, 2).text() == "1" and not second.mapping_edits
    assert "read as your mapping (date=Tag, amount=Wert, name=Gegenüber" in second.details.toPlainText()
    page = transactions_page(window)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=20000)
