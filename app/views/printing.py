"""Printing a list the way a bookkeeper files it: one HTML table through the system's print dialog.

`choose_printer` is separate so tests (and the screenshot tour) can answer the dialog with a PDF printer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from PySide6.QtGui import QPageLayout, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

PRINT_LIMIT = 5000  # rows; more is a report for the CSV export, not for paper


def choose_printer(parent: QWidget, title: str) -> QPrinter | None:
    """The system's print dialog; None when the user cancels."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(title)
    printer.setPageOrientation(QPageLayout.Orientation.Landscape)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(title)
    return printer if dialog.exec() == QDialog.DialogCode.Accepted else None


def table_html(
    title: str,
    subtitle: str,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    right: frozenset[int] = frozenset(),
    footer: Sequence[str] = (),
) -> str:
    """A titled table; `right` are the column indexes set flush right (amounts), `footer` a totals row."""

    def cells(values: Sequence[str], tag: str) -> str:
        return "".join(
            f"<{tag}{' align=right' if index in right else ''}>{escape(value)}</{tag}>"
            for index, value in enumerate(values)
        )

    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    total = f"<tr>{cells(footer, 'th')}</tr>" if footer else ""
    return (
        "<html><body style='font-size:8pt'>"
        f"<h3>{escape(title)}</h3><p>{escape(subtitle)}</p>"
        "<table border=1 cellspacing=0 cellpadding=3 width=100%>"
        f"<thead><tr>{cells(header, 'th')}</tr></thead>{body}{total}</table></body></html>"
    )


def print_html(printer: QPrinter, html: str) -> None:
    """Lay the HTML out on the printer's pages and print it."""
    document = QTextDocument()
    document.setHtml(html)
    document.print_(printer)
