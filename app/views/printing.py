"""Printing a list the way a bookkeeper files it: one HTML table through the system's print dialog."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QPageLayout, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

PRINT_LIMIT = 5000  # rows; more is a report for the CSV export, not for paper


class Printout(QObject):
    """A document waiting in the system's print dialog (window-modal, never a nested event loop); OK prints it."""

    printed = Signal()

    def __init__(self, title: str, html: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.document = QTextDocument(self)
        self.document.setHtml(html)
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(title)
        printer.setPageOrientation(QPageLayout.Orientation.Landscape)
        self.dialog = QPrintDialog(printer, parent)
        self.dialog.setWindowTitle(title)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.finished.connect(
            lambda result: self.print_to(printer) if result == QDialog.DialogCode.Accepted else None
        )
        self.dialog.show()  # QPrintDialog.open() wants a receiver; modal all the same

    def print_to(self, printer: QPrinter) -> None:
        """Lay the document out on the printer's pages (the dialog's OK, or a test with a PDF printer)."""
        self.document.print_(printer)
        self.printed.emit()


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
