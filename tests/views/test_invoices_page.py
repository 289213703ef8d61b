"""The Invoices page and the import wizard at the user's level, on the demo ledger and on small ledgers."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog
from reconciliation_ledger import INVOICES, build

from app.services.formatting import parse_amount
from app.services.invoices.importing import import_invoices, preview_invoices, saved_mappings
from app.services.invoices.open_items import InvoiceFilter, invoice_rows
from app.services.invoices.summary import summarize
from app.services.ledger.database import Ledger
from app.services.reconciliation.notifications import unread_count
from app.views.invoice_import_dialog import InvoiceImportDialog
from app.views.invoice_table_model import (
    OVERDUE_COLOR,
    PAID_COLOR,
    InvoiceColumn,
    InvoicePreviewTableModel,
    InvoiceTableModel,
)
from app.views.invoices_page import InvoicesPage
from app.views.jobs import JobRunner
from app.views.unlock_dialog import open_ledger

CSV = """Rechnungsnr;Kunde;Kundennummer;Rechnungsdatum;Fällig am;Summe
RE-100;Müller Metallbau GmbH;K1;02.03.2026;16.03.2026;1.190,00
RE-101;Schmidt & Söhne KG;K2;03.03.2026;17.03.2026;2.380,50
RE-102;Bäckerei Weber e.K.;K3;31.02.2026;18.03.2026;500,00
"""


@pytest.fixture
def demo(demo_ledger_path: Path) -> Iterator[Ledger]:
    unlocked = open_ledger(demo_ledger_path, "demo")
    yield unlocked.ledger
    unlocked.ledger.close()


@pytest.fixture
def empty_ledger(tmp_path: Path) -> Iterator[Ledger]:
    ledger = new_ledger(tmp_path / "empty.kontor", "pw", company_name="Leer GmbH")
    yield ledger
    ledger.close()


def loaded_page(qtbot, ledger: Ledger, runner: JobRunner) -> InvoicesPage:
    page = InvoicesPage(ledger, runner=runner)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        pass
    return page


def shown_ids(page: InvoicesPage) -> set[int]:
    return {page.model.row_at(row).id for row in range(page.model.rowCount())}


def test_page_lists_every_demo_invoice_with_a_summary(qtbot, demo: Ledger, runner: JobRunner) -> None:
    page = loaded_page(qtbot, demo, runner)
    rows = invoice_rows(demo)
    receivables = sum(1 for row in rows if row.kind == "receivable")
    assert receivables == 300 and len(rows) > 300  # and the suppliers' invoices the demo company paid
    assert page.model.rowCount() == len(rows)
    assert page.stack.currentWidget() is page.splitter
    assert page.summary_label.text() == f"{len(rows)} invoices, {summarize(rows).open_text()} open"
    overdue = next(row for row in range(len(rows)) if page.model.row_at(row).status == "overdue")
    status = page.model.index(overdue, InvoiceColumn.STATUS)
    assert status.data().startswith("overdue (") and status.data(Qt.ItemDataRole.ForegroundRole) == OVERDUE_COLOR
    paid = next(row for row in range(len(rows)) if page.model.row_at(row).status == "paid")
    assert page.model.index(paid, InvoiceColumn.NUMBER).data(Qt.ItemDataRole.ForegroundRole) == PAID_COLOR
    amount = page.model.index(paid, InvoiceColumn.AMOUNT)
    assert (
        amount.data().startswith("€") and amount.data(Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    )


def test_overdue_filter_shows_what_the_service_returns(qtbot, demo: Ledger, runner: JobRunner) -> None:
    page = loaded_page(qtbot, demo, runner)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.status_combo.setCurrentIndex(page.status_combo.findData("overdue"))
    expected = {row.id for row in invoice_rows(demo, InvoiceFilter(status="overdue"))}
    assert expected and shown_ids(page) == expected
    assert page.summary_label.text().startswith(f"{len(expected)} invoices")


def test_search_narrows_the_list(qtbot, demo: Ledger, runner: JobRunner) -> None:
    page = loaded_page(qtbot, demo, runner)
    name = page.model.row_at(0).customer_name
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.keyClicks(page.search_edit, name)
    assert 0 < page.model.rowCount() < 300
    assert all(page.model.row_at(row).customer_name == name for row in range(page.model.rowCount()))
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.search_edit.setText("no such invoice anywhere")
    assert page.model.rowCount() == 0 and page.stack.currentWidget() is page.splitter  # filtered, not empty


def test_empty_ledger_shows_the_empty_state(qtbot, empty_ledger: Ledger, runner: JobRunner) -> None:
    page = loaded_page(qtbot, empty_ledger, runner)
    assert page.stack.currentWidget() is page.empty_label
    assert "Import invoices…" in page.empty_label.text()


def test_models(qtmodeltester, demo: Ledger, tmp_path: Path) -> None:
    model = InvoiceTableModel()
    model.set_rows(invoice_rows(demo, InvoiceFilter(limit=40)))
    qtmodeltester.check(model)
    model.sort(InvoiceColumn.OPEN, Qt.SortOrder.DescendingOrder)
    opens = [model.row_at(row).open_amount for row in range(model.rowCount())]
    assert opens == sorted(opens, reverse=True)
    qtmodeltester.check(InvoiceTableModel())
    (tmp_path / "invoices.csv").write_text(CSV, encoding="utf-8")
    preview = InvoicePreviewTableModel()
    preview.set_rows(preview_invoices(tmp_path / "invoices.csv", {"amount": "Summe"}).rows)
    assert preview.rowCount() == 2
    qtmodeltester.check(preview)


def test_parse_amount_reads_both_notations() -> None:
    assert parse_amount("1.234,56", "de") == parse_amount("1234.56", "de") == Decimal("1234.56")
    assert parse_amount("1,234.56", "en") == parse_amount("1234,56", "en") == Decimal("1234.56")
    assert parse_amount("1.234", "de") == Decimal("1234")
    for bad in ("", "abc", "1,2345", "1.2.3,4,5"):
        with pytest.raises(ValueError):
            parse_amount(bad, "de")


def start_dialog(qtbot, ledger: Ledger, runner: JobRunner, path: Path) -> InvoiceImportDialog:
    dialog = InvoiceImportDialog(ledger, runner=runner)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.file_edit.setText(str(path))
    with qtbot.waitSignal(dialog.previewed, timeout=10_000):
        qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    return dialog


def remap(qtbot, dialog: InvoiceImportDialog, field: str, column: str) -> None:
    combo = dialog.field_combos[field]
    with qtbot.waitSignal(dialog.previewed, timeout=10_000):
        combo.setCurrentIndex(combo.findData(column))
        combo.activated.emit(combo.currentIndex())


def test_import_wizard_previews_remaps_and_imports_all_or_nothing(
    qtbot, empty_ledger: Ledger, runner: JobRunner, tmp_path: Path
) -> None:
    path = tmp_path / "rechnungen.csv"
    path.write_text(CSV, encoding="utf-8")
    dialog = start_dialog(qtbot, empty_ledger, runner, path)
    assert dialog.steps.currentIndex() == 1
    assert dialog.field_combos["number"].currentData() == "Rechnungsnr"
    assert dialog.field_combos["amount"].currentData() == ""  # 'Summe' is no known name
    assert dialog.missing_label.isVisible() and "amount" in dialog.missing_label.text()
    assert not dialog.next_button.isEnabled()
    assert dialog.disabled_reason.text().startswith("Import needs a column for: amount")  # why it is greyed
    assert dialog.next_button.toolTip() == dialog.disabled_reason.text()
    assert dialog.raw_view.toPlainText() == CSV.rstrip("\n")  # the file as it is, beside the mapping
    assert dialog.raw_caption.text() == "The file as it is: the first 4 lines"

    remap(qtbot, dialog, "amount", "Summe")
    assert not dialog.missing_label.isVisible() and dialog.next_button.isEnabled()
    assert dialog.disabled_reason.text() == ""
    assert dialog.preview_model.rowCount() == 2
    assert dialog.preview_model.index(0, 6).data() == "€1,190.00"  # decimal comma read
    assert dialog.errors_caption.text() == "1 row with errors"
    assert dialog.errors_list.item(0).text().startswith("Row 4: column Rechnungsdatum (invoice date)")

    with qtbot.waitSignal(dialog.failed, timeout=10_000) as refused:
        qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    assert refused.args[0].startswith("1 row has an error, so nothing was imported.")
    assert dialog.import_error.isVisible()
    assert invoice_rows(empty_ledger) == []

    dialog.skip_check.setChecked(True)
    dialog.save_edit.setText("Faktura")
    with qtbot.waitSignal(dialog.imported, timeout=10_000) as done:
        qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    result = done.args[0]
    assert (result.new, result.updated, len(result.errors)) == (2, 0, 1)
    assert dialog.steps.currentIndex() == 2 and dialog.close_button.text() == "Close"
    text = dialog.result_label.text()
    assert "2 new invoices" in text and "1 bad row skipped" in text and "Payments:" in text
    assert sorted(row.number for row in invoice_rows(empty_ledger)) == ["RE-100", "RE-101"]
    assert saved_mappings(empty_ledger)["Faktura"]["amount"] == "Summe"


def test_saved_mapping_is_offered_and_a_bad_file_is_reported_inline(
    qtbot, empty_ledger: Ledger, runner: JobRunner, tmp_path: Path
) -> None:
    empty = tmp_path / "leer.csv"
    empty.write_text("", encoding="utf-8")
    dialog = start_dialog(qtbot, empty_ledger, runner, empty)
    assert dialog.steps.currentIndex() == 0 and "the file is empty" in dialog.file_error.text()


def test_match_now_books_and_reports(qtbot, tmp_path: Path, runner: JobRunner) -> None:
    small = build(tmp_path / "small", match=False)
    try:
        page = loaded_page(qtbot, small.ledger, runner)
        assert page.model.rowCount() == 7
        reports: list[str] = []
        page.reported.connect(reports.append)
        with qtbot.waitSignal(page.ledger_changed, timeout=10_000):
            qtbot.mouseClick(page.match_button, Qt.MouseButton.LeftButton)
        assert reports[0] == "Matching payments…" and reports[1].startswith("3 assigned automatically, ")
        qtbot.waitUntil(lambda: page.summary_label.text().startswith("7 invoices"), timeout=10_000)
        assert small.state("Mueller Metallbau GmbH") == "matched"
        assert unread_count(small.ledger) == 3
        qtbot.waitUntil(lambda: any(page.model.row_at(r).status == "paid" for r in range(7)), timeout=10_000)
    finally:
        small.ledger.close()


def test_clear_review_flag_for_a_changed_invoice(qtbot, tmp_path: Path, runner: JobRunner) -> None:
    small = build(tmp_path / "small")
    try:
        changed = tmp_path / "changed.csv"
        changed.write_text(INVOICES.replace("1.190,00", "1.290,00"), encoding="utf-8")
        import_invoices(small.ledger, changed, actor="test")
        page = loaded_page(qtbot, small.ledger, runner)
        with qtbot.waitSignal(page.loaded, timeout=10_000):
            page.status_combo.setCurrentIndex(page.status_combo.findData("review"))
        assert page.model.rowCount() == 1 and page.model.row_at(0).number == "RE-2026-0042"
        status = page.model.index(0, InvoiceColumn.STATUS)
        assert status.data().endswith("· check") and "amount €1,190.00 → €1,290.00" in status.data(
            Qt.ItemDataRole.ToolTipRole
        )
        assert not page.review_button.isEnabled()
        page.table.selectRow(0)
        assert page.review_button.isEnabled()
        with qtbot.waitSignal(page.loaded, timeout=10_000):
            qtbot.mouseClick(page.review_button, Qt.MouseButton.LeftButton)
        assert page.model.rowCount() == 0
        assert not [row for row in invoice_rows(small.ledger) if row.needs_review]
    finally:
        small.ledger.close()


def test_e_invoices_imported_on_the_page_become_payables(qtbot, empty_ledger: Ledger, runner: JobRunner,
                                                         monkeypatch) -> None:  # fmt: skip
    samples = Path(__file__).resolve().parents[1] / "data" / "einvoices"
    page = loaded_page(qtbot, empty_ledger, runner)
    chosen = [str(samples / "01.07a-INVOICE_ubl.xml"), str(samples / "zugferd-pdf_zf_extended_1.pdf")]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *args, **kwargs: (chosen, ""))
    with qtbot.waitSignal(page.reported, timeout=15_000) as report:
        page.einvoice_button.click()
    assert report.args[0].startswith("E-invoices: 2 new, 0 updated.")
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=10_000)
    assert sorted((row.number, row.kind) for row in page.model.rows()) == [
        ("KR87654321012", "payable"),
        ("R1234567", "payable"),
    ]
    # the original of the selected e-invoice opens in the desktop's viewer, a copy of exactly the imported file
    assert not page.original_button.isEnabled()
    opened = UrlCatcher()
    QDesktopServices.setUrlHandler("file", opened, "open")
    try:
        row = next(i for i in range(page.model.rowCount()) if page.model.row_at(i).number == "KR87654321012")
        page.table.selectRow(row)
        assert page.original_button.isEnabled()
        page.original_button.click()
        qtbot.waitUntil(lambda: bool(opened.urls), timeout=10_000)
    finally:
        QDesktopServices.unsetUrlHandler("file")
    [url] = opened.urls
    assert Path(url.toLocalFile()).read_bytes() == Path(chosen[1]).read_bytes()


class UrlCatcher(QObject):
    """Stands in for the desktop's file viewer: QDesktopServices hands it the URLs it would open."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def select_number(page: InvoicesPage, number: str) -> None:
    [row] = [r for r in range(page.model.rowCount()) if page.model.row_at(r).number == number]
    page.table.selectRow(row)


def test_detail_pane_shows_the_payments_and_history_of_the_selected_invoice(
    qtbot, tmp_path: Path, runner: JobRunner
) -> None:
    small = build(tmp_path / "small")
    try:
        page = loaded_page(qtbot, small.ledger, runner)
        page.resize(1300, 700)
        page.show()
        pane = page.detail_pane
        assert pane.empty_label.isVisible() and not pane.content.isVisible()
        with qtbot.waitSignal(page.detail_loaded, timeout=10_000):
            select_number(page, "RE-2026-0042")
        assert pane.title_label.text() == "RE-2026-0042 · Müller Metallbau GmbH"
        assert pane.payments_table.rowCount() == 1
        assert pane.payments_table.item(0, 1).text() == "€1,190.00"
        assert "Mueller Metallbau GmbH" in pane.payments_table.item(0, 2).text()
        history = pane.history_label.text().splitlines()
        assert [line.split(" · ")[1] for line in history] == [
            "imported (test)", "payment allocated automatically, €1,190.00 (test)"]  # fmt: skip
        requested: list[int] = []
        page.transaction_requested.connect(requested.append)
        assert not pane.show_button.isEnabled()
        pane.payments_table.selectRow(0)
        qtbot.mouseClick(pane.show_button, Qt.MouseButton.LeftButton)
        assert requested == [small.tx["Mueller Metallbau GmbH"]]
        with qtbot.waitSignal(page.detail_loaded, timeout=10_000):
            select_number(page, "RE-2026-0050")
        assert pane.payments_caption.text() == "No payment is allocated to this invoice yet."
        assert not pane.payments_table.isVisible()
        page.table.clearSelection()
        assert pane.empty_label.isVisible()  # the selection left the list: the pane clears
    finally:
        small.ledger.close()


def test_open_items_are_exported_as_csv_and_pdf_and_printed(
    qtbot, tmp_path: Path, runner: JobRunner, monkeypatch
) -> None:
    from PySide6.QtPrintSupport import QPrinter

    from app.views import invoices_page

    small = build(tmp_path / "small")
    try:
        page = loaded_page(qtbot, small.ledger, runner)
        for pdf, name in ((False, "op.csv"), (True, "op.pdf")):
            monkeypatch.setattr(invoices_page, "choose_export_file", lambda parent, pdf, n=name: tmp_path / n)
            with qtbot.waitSignal(page.exported, timeout=10_000):
                (page.export_pdf_action if pdf else page.export_csv_action).trigger()
        assert "RE-2026-0050" in (tmp_path / "op.csv").read_text(encoding="utf-8")
        assert "RE-2026-0042" not in (tmp_path / "op.csv").read_text(encoding="utf-8")  # paid
        assert (tmp_path / "op.pdf").read_bytes().startswith(b"%PDF")
        assert page.print_action.shortcut().toString() == "Ctrl+P"
        page.print_action.trigger()
        qtbot.waitUntil(lambda: page.printout is not None and page.printout.dialog.isVisible(), timeout=10_000)
        printout = page.printout
        assert printout is not None
        printout.dialog.reject()
        printer = QPrinter()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp_path / "printed.pdf"))
        with qtbot.waitSignal(page.printed):
            printout.print_to(printer)
        assert (tmp_path / "printed.pdf").stat().st_size > 1000
        assert "RE-2026-0050" in printout.document.toPlainText()
    finally:
        small.ledger.close()


def test_show_in_transactions_selects_the_payment_in_the_main_window(
    qtbot, tmp_path: Path, runner: JobRunner, preferences
) -> None:
    from reconciliation_ledger import PASSPHRASE

    from app.views.main_window import MainWindow
    from app.views.pages import Page

    small = build(tmp_path / "small")
    small.ledger.close()
    window = MainWindow(open_ledger(small.path, PASSPHRASE), runner=runner, preferences=preferences)
    qtbot.addWidget(window)
    window.show()
    try:
        page = window.pages[Page.INVOICES]
        assert isinstance(page, InvoicesPage)
        window.show_page(Page.INVOICES)
        qtbot.waitUntil(lambda: page.model.rowCount() == 7, timeout=10_000)
        with qtbot.waitSignal(page.detail_loaded, timeout=10_000):
            select_number(page, "RE-2026-0042")
        transactions = window.pages[Page.TRANSACTIONS]
        qtbot.waitUntil(lambda: not transactions.loading, timeout=10_000)
        page.detail_pane.payments_table.selectRow(0)
        page.detail_pane.show_button.click()
        assert window.current_page() == Page.TRANSACTIONS
        assert transactions.selected_ids() == [small.tx["Mueller Metallbau GmbH"]]
    finally:
        window.close_quietly()
