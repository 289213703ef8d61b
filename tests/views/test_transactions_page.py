"""The Transactions page as a user meets it, on a generated demo ledger: filters, search, sort, detail, copy."""

from __future__ import annotations

import csv
import os
import stat
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from pypdf import PdfReader
from PySide6.QtCore import QDate, QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select, update

from app.models.schema import BankAccount, Transaction
from app.services.demo.data import create_demo_ledger
from app.services.formatting import format_amount
from app.services.ledger.database import Ledger
from app.services.statements import importing
from app.services.statements.importing import import_statement_files
from app.services.statements.query import TransactionFilter, count_transactions, transaction_rows
from app.views.transaction_table_model import AmountRole, Column, TransactionIdRole, TransactionTableModel
from app.views.transactions_page import EMPTY_TEXT, TransactionsPage
from bench.statement_data import write_mt940

PASS = "Korrekt Pferd Batterie Heftklammer"
TODAY = date(2026, 6, 30)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    ledger = new_ledger(tmp_path_factory.mktemp("demo") / "demo.kontor", PASS, company_name="Demo")
    create_demo_ledger(ledger, actor="test", today=TODAY)
    with ledger.session() as session, session.begin():
        first = session.scalar(select(Transaction.id).order_by(Transaction.id).limit(1))
        session.execute(update(Transaction).where(Transaction.id == first).values(raw=":61:2506300630CR1190,00NTRF"))
    yield ledger
    ledger.close()


@pytest.fixture
def page(qtbot: QtBot, demo: Ledger) -> TransactionsPage:
    page = TransactionsPage(demo)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    qtbot.waitUntil(lambda: not page.loading, timeout=5000)
    return page


def _count(ledger: Ledger, filter: TransactionFilter) -> int:
    with ledger.session() as session:
        return count_transactions(session, filter)


def _wait_rows(qtbot: QtBot, page: TransactionsPage, expected: int) -> None:
    qtbot.waitUntil(lambda: not page.loading and page.model.rowCount() == expected, timeout=5000)


def test_model_passes_the_model_tester(qtmodeltester: object, demo: Ledger) -> None:
    def read(ids: object) -> list:
        with demo.session() as session:
            return transaction_rows(session, list(ids))  # type: ignore[call-overload]

    from app.services.statements.query import transaction_ids

    model = TransactionTableModel(read)
    with demo.session() as session:
        model.set_ids(transaction_ids(session))
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert isinstance(model.index(0, Column.AMOUNT).data(AmountRole), Decimal)
    assert model.index(0, 0).data(TransactionIdRole) == model.id_at(0)


def test_page_shows_all_rows(page: TransactionsPage, demo: Ledger) -> None:
    total = _count(demo, TransactionFilter())
    assert total > 1000
    assert page.model.rowCount() == total
    assert f"{total:,} transactions" in page.count_label.text()
    assert page.stack.currentWidget() is page.splitter
    assert page.model.index(0, Column.DATE).data() == TODAY.isoformat() or page.model.rowCount()


def test_filters_match_a_direct_count(qtbot: QtBot, page: TransactionsPage, demo: Ledger) -> None:
    with demo.session() as session:
        savings = session.scalar(select(BankAccount.id).where(BankAccount.name == "Tagesgeld"))
    page.account_combo.setCurrentIndex(page.account_combo.findData(savings))
    _wait_rows(qtbot, page, _count(demo, TransactionFilter(account_ids=(savings,))))
    page.account_combo.setCurrentIndex(0)

    page.direction_combo.setCurrentIndex(page.direction_combo.findData("in"))
    _wait_rows(qtbot, page, _count(demo, TransactionFilter(direction="in")))
    page.amount_min.setText("1000")
    expected = _count(demo, TransactionFilter(direction="in", amount_min=Decimal(1000)))
    assert 0 < expected < _count(demo, TransactionFilter(direction="in"))
    _wait_rows(qtbot, page, expected)
    page.direction_combo.setCurrentIndex(0)
    page.amount_min.clear()

    page.status_combo.setCurrentIndex(page.status_combo.findData("matched"))
    _wait_rows(qtbot, page, _count(demo, TransactionFilter(statuses=("matched",))))
    page.status_combo.setCurrentIndex(0)

    start, end = TODAY - timedelta(days=30), TODAY - timedelta(days=10)
    page.date_from.setDate(QDate(start.year, start.month, start.day))
    page.date_to.setDate(QDate(end.year, end.month, end.day))
    page.all_dates.setChecked(False)
    _wait_rows(qtbot, page, _count(demo, TransactionFilter(date_from=start, date_to=end)))
    assert 0 < page.model.rowCount() < 1000


def test_search_narrows_rows(qtbot: QtBot, page: TransactionsPage, demo: Ledger) -> None:
    total = page.model.rowCount()
    qtbot.keyClicks(page.search_edit, "muller")
    expected = _count(demo, TransactionFilter(text="muller"))
    assert 0 < expected < total
    _wait_rows(qtbot, page, expected)
    assert all("Müller" in (page.model.row_at(r).counterparty_name + page.model.row_at(r).purpose)  # type: ignore[union-attr]
               for r in range(page.model.rowCount()))  # fmt: skip
    page.search_edit.setText('NEAR( "x OR *')
    _wait_rows(qtbot, page, 0)
    assert page.count_label.text() == "No transactions match the filter."


def test_sorting_by_amount_puts_the_largest_first(qtbot: QtBot, page: TransactionsPage) -> None:
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.table.horizontalHeader().setSortIndicator(Column.AMOUNT, Qt.SortOrder.DescendingOrder)
    amounts = [page.model.index(row, Column.AMOUNT).data(AmountRole) for row in range(page.model.rowCount())]
    assert amounts[0] == max(amounts) and amounts == sorted(amounts, reverse=True)
    assert page.model.index(0, Column.AMOUNT).data().startswith("+")
    assert page.model.index(0, Column.AMOUNT).data(Qt.ItemDataRole.ForegroundRole).name() == "#1b7a3a"


def test_selecting_a_row_shows_every_field_and_the_raw_record(qtbot: QtBot, page: TransactionsPage) -> None:
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.table.horizontalHeader().setSortIndicator(Column.DATE, Qt.SortOrder.AscendingOrder)
    page.table.selectRow(0)
    assert page.raw_view.toPlainText() == ":61:2506300630CR1190,00NTRF"
    text = page.detail_view.toPlainText()
    assert "Counterparty IBAN" in text and "Imported from" in text and "demo" in text


def test_ctrl_c_copies_the_selected_rows(qtbot: QtBot, page: TransactionsPage) -> None:
    page.table.selectRow(0)
    page.table.selectionModel().select(
        page.model.index(1, 0),
        page.table.selectionModel().SelectionFlag.Select | page.table.selectionModel().SelectionFlag.Rows,
    )
    page.table.setFocus()
    QApplication.processEvents()
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(page.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().splitlines()
    assert len(lines) == 2
    first = page.model.row_at(0)
    assert first is not None and lines[0].split("\t")[3] == first.counterparty_name


def test_export_writes_the_selection_or_else_the_filtered_list(
    qtbot: QtBot, page: TransactionsPage, tmp_path: Path
) -> None:
    page.table.selectRow(0)
    page.table.selectionModel().select(
        page.model.index(2, 0), QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    )
    assert page.export_listed(str(tmp_path / "two.csv")) == 2
    page.table.selectRow(0)  # one row is where the cursor is, not a choice: the whole list goes
    path = tmp_path / "out.csv"
    assert page.export_listed(str(path)) == page.model.rowCount()
    with path.open(encoding="utf-8-sig") as stream:
        rows = list(csv.reader(stream))
    assert rows[0][0] == "Date" and len(rows) == page.model.rowCount() + 1
    assert os.name != "posix" or stat.S_IMODE(path.stat().st_mode) == 0o600  # bank data: private to its owner


def test_stale_results_are_dropped(qtbot: QtBot, page: TransactionsPage, demo: Ledger) -> None:
    for word in ("m", "mu", "mul", "mull", "mulle", "muller"):
        page.search_edit.setText(word)
        qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)  # Enter skips the typing pause: a query per word
    _wait_rows(qtbot, page, _count(demo, TransactionFilter(text="muller")))


def test_empty_ledger_shows_the_empty_state(qtbot: QtBot, tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path / "empty.kontor", PASS, company_name="Leer")
    page = TransactionsPage(ledger)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()
    assert page.stack.currentWidget() is page.empty_label
    assert page.empty_label.text() == EMPTY_TEXT
    ledger.close()


def test_ctrl_p_prints_the_filtered_list_with_its_total(qtbot: QtBot, page: TransactionsPage, tmp_path: Path) -> None:
    pdf = tmp_path / "umsaetze.pdf"
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.search_edit.setText("Schmidt")
    rows = page.model.rows_at(range(page.model.rowCount()))
    assert 0 < len(rows) < page.model.rowCount() + 1
    page.activateWindow()
    page.table.setFocus()
    qtbot.waitUntil(page.table.hasFocus)
    with qtbot.waitSignal(page.printout_shown, timeout=10_000):  # the rows are read in a worker
        qtbot.keyClick(page.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    printout = page.printout
    assert printout is not None and printout.dialog.isVisible()
    printout.dialog.reject()  # as if the user chose a PDF printer in it:
    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(pdf))
    with qtbot.waitSignal(printout.printed):
        printout.print_to(printer)
    assert pdf.stat().st_size > 1000
    text = " ".join(" ".join(sheet.extract_text().split()) for sheet in PdfReader(pdf).pages)
    assert f"{len(rows)} transaction" in text
    total = format_amount(sum((row.amount for row in rows), Decimal(0)))
    assert total in text and rows[0].counterparty_name.split()[0] in text


def test_search_finds_the_bookings_of_a_large_import_not_indexed_yet(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kontor import` of a large file leaves the search index to the first search: the page's search indexes
    them before it asks, and finds them; while another program writes it searches what is indexed, not waiting."""
    monkeypatch.setattr(importing, "INDEX_LATER_ROWS", 100)
    ledger = new_ledger(tmp_path / "gross.kontor", PASS, company_name="Groß")
    try:
        import_statement_files(ledger, [write_mt940(tmp_path / "jahr.sta", 1500)], actor="test")
        with ledger.session() as session:
            unindexed = session.connection().exec_driver_sql("SELECT count(*) FROM transactions_fts").scalar()
            named = session.scalar(
                select(func.count(Transaction.id)).where(Transaction.purpose.contains("RE-2020-000042"))
            )
        assert (unindexed, named) == (0, 1)
        page = TransactionsPage(ledger)
        qtbot.addWidget(page)
        page.show()
        qtbot.waitUntil(lambda: not page.loading and page.model.rowCount() == 1500, timeout=5000)
        other = Ledger.open(ledger.path, PASS)  # another program, writing while the user searches
        try:
            with other.writer():
                qtbot.keyClicks(page.search_edit, "000042")
                qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)
                _wait_rows(qtbot, page, 0)  # not waited for: the search ran on what the index has
                assert page.count_label.text() == "No transactions match the filter."
        finally:
            other.close()
        page.search_edit.setText("RE-2020-000042")
        qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)
        _wait_rows(qtbot, page, 1)
        assert "RE-2020-000042" in page.model.row_at(0).purpose  # type: ignore[union-attr]
        page.close()
    finally:
        ledger.close()
