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
from app.services.statements import importing
from app.views import statement_import_flow
from app.views.jobs import JobRunner
from app.views.main_window import MainWindow
from app.views.pages import Page
from app.views.transactions_page import TransactionsPage
from app.views.unlock_dialog import open_ledger

TABLES = ("transactions", "transactions_fts")


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


def test_csv_with_unclear_columns_opens_the_mapping_dialog_and_imports_with_the_chosen_columns(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    """One unclear CSV goes straight to the mapping dialog; Import waits for a complete mapping, then imports."""
    dropped = tmp_path / f"Umsaetze_{IBAN}.csv"
    dropped.write_text("Tag;Gegenüber;Zweck;Wert\n02.03.2026;Müller GmbH;RE-1;1.190,00\n", encoding="utf-8")
    window.importer.import_files([dropped])
    qtbot.waitUntil(lambda: window.importer.mapping_dialog is not None, timeout=20000)
    dialog = window.importer.mapping_dialog
    assert dialog.isVisible() and window.importer.dialog is None
    assert dialog.raw_view.toPlainText().splitlines()[0] == "Tag;Gegenüber;Zweck;Wert"
    assert [dialog.table.horizontalHeaderItem(c).text() for c in range(4)] == ["Tag", "Gegenüber", "Zweck", "Wert"]
    assert dialog.table.item(1, 3).text() == "1.190,00"
    assert dialog.roles() == ["date", "purpose", "", "amount"]  # the detector's guess, not sure of it

    def choose(column: int, role: str) -> None:
        combo = dialog.combos[column]
        combo.setCurrentIndex(combo.findData(role))
        combo.activated.emit(combo.currentIndex())

    choose(0, "")
    assert not dialog.import_button.isEnabled() and "booking date" in dialog.status_label.text()
    choose(2, "date")
    assert not dialog.import_button.isEnabled() and "holds “RE-1”" in dialog.status_label.text()  # no date
    for column, role in enumerate(["date", "name", "purpose"]):
        choose(column, role)
    assert dialog.import_button.isEnabled() and "1 booking" in dialog.status_label.text()
    assert "date=Tag,amount=Wert,name=Gegenüber,purpose=Zweck" in dialog.spec()
    dialog.import_button.click()
    qtbot.waitUntil(lambda: window.importer.dialog is not None and window.importer.dialog.isVisible(), timeout=20000)
    result = window.importer.dialog
    assert result.table.item(0, 2).text() == "1" and not result.mapping_buttons
    assert "read as your mapping (date=Tag, amount=Wert, name=Gegenüber" in result.details.toPlainText()
    page = transactions_page(window)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=20000)


def test_an_unclear_csv_among_other_files_gets_a_button_to_its_columns(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    unclear = tmp_path / "unklar.csv"
    unclear.write_text("Tag;Gegenüber;Zweck;Wert\n02.03.2026;Müller GmbH;RE-1;1.190,00\n", encoding="utf-8")
    other = tmp_path / "camt.xml"
    other.write_text(camt053(IBAN, bookings(), opening=Decimal("100")), encoding="utf-8")
    window.importer.import_files([unclear, other])
    qtbot.waitUntil(lambda: window.importer.dialog is not None and window.importer.dialog.isVisible(), timeout=20000)
    results = window.importer.dialog
    (button,) = results.mapping_buttons
    button.click()
    assert results.mapping_dialog is not None and results.mapping_dialog.isVisible()
    assert results.mapping_dialog.preview.path == unclear


def test_a_large_file_imported_in_the_window_is_indexed_for_search_before_the_results(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    """The import leaves a large file's search index for later; the window's import job does it at once, as
    the next thing its user does may well be a search."""
    monkeypatch.setattr(importing, "INDEX_LATER_ROWS", 1)
    camt = tmp_path / "maerz.xml"
    camt.write_text(camt053(IBAN, bookings(), opening=Decimal("100")), encoding="utf-8")
    window.importer.import_files([camt])
    qtbot.waitUntil(lambda: window.importer.dialog is not None and window.importer.dialog.isVisible(), timeout=20000)
    with window.unlocked.ledger.session() as session:
        connection = session.connection()
        counts = [connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() for table in TABLES]
    assert counts == [4, 4]
