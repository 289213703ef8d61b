"""The open-items list (OP-Liste) for the tax adviser, the bank or the boss: every unpaid invoice with what is still
open, by customer, as CSV or PDF. The GUI's Export and Print and `kontor export open-items` share these functions.

The CSV follows the reader's language (German: semicolons and decimal commas, as German spreadsheets open them);
its text cells are formula-safe and the file is private, as every Kontor export (csv_safety, private_files)."""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from app.services.csv_safety import SafeWriter, number_cell
from app.services.formatting import format_amount, format_date
from app.services.i18n import N_, _, current_language
from app.services.invoices.importing import PAYABLE, RECEIVABLE
from app.services.invoices.open_items import InvoiceFilter, InvoiceRow, InvoiceStatus, invoice_rows
from app.services.ledger.database import Ledger
from app.services.private_files import make_parent, open_private

if TYPE_CHECKING:
    from fpdf import FPDF

WIDTHS = (34, 60, 21, 21, 12, 31, 31)  # mm: invoice, customer, issued, due, days, amount, open (A4 less margins)
LABEL_WIDTH = sum(WIDTHS[:-1])
COLUMNS = (N_("Invoice"), N_("Customer number"), N_("Customer"), N_("Issued"), N_("Due"), N_("Days overdue"),
           N_("Amount"), N_("Open"), N_("Currency"), N_("Dunning level"))  # fmt: skip
TITLES = {
    None: N_("Open items"),
    RECEIVABLE: N_("Open items: receivables"),
    PAYABLE: N_("Open items: payables"),
}


@dataclass(frozen=True, slots=True)
class OpenItems:
    """The unpaid invoices of one side (or both), by customer name and due date, as of a day."""

    company: str
    kind: str | None
    as_of: date
    rows: list[InvoiceRow]

    @property
    def title(self) -> str:
        return _(TITLES[self.kind])

    def by_customer(self) -> list[tuple[str, list[InvoiceRow], Decimal]]:
        """(customer name, its open invoices, their open sum) in list order; the sum in the first row's currency."""
        groups: dict[tuple[str, str], list[InvoiceRow]] = defaultdict(list)
        for row in self.rows:
            groups[(row.customer_name, row.customer_number)].append(row)
        return [(name, rows, sum((row.open_amount for row in rows), Decimal("0.00")))
                for (name, _number), rows in groups.items()]  # fmt: skip

    def totals(self) -> dict[str, Decimal]:
        """Open amount per currency."""
        sums: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
        for row in self.rows:
            sums[row.currency] += row.open_amount
        return dict(sums)


def open_items(ledger: Ledger, *, kind: str | None = RECEIVABLE, today: date | None = None) -> OpenItems:
    """Unpaid, partly paid and overdue invoices. Blocks on the ledger; call from a worker."""
    as_of = today or date.today()
    rows = invoice_rows(ledger, InvoiceFilter(kind=kind, status=InvoiceStatus.OPEN), today=as_of)
    rows.sort(key=lambda row: (row.customer_name.casefold(), row.customer_number, row.due_on or row.issued_on,
                               row.number))  # fmt: skip
    return OpenItems(ledger.company_name(), kind, as_of, rows)


def write_open_items_csv(items: OpenItems, out: Path) -> int:
    """One row per invoice; returns how many. Written whole or not at all (a partial file is renamed at the end)."""
    german = current_language() == "de"
    mark = "," if german else "."
    out = Path(out)
    make_parent(out)
    partial = out.with_name(out.name + ".partial")
    with open_private(partial, "w", encoding="utf-8-sig" if german else "utf-8", newline="") as stream:
        writer = SafeWriter(stream, delimiter=";" if german else ",")
        writer.writerow([_(column) for column in COLUMNS])
        for row in items.rows:
            writer.writerow([
                row.number, row.customer_number, row.customer_name, format_date(row.issued_on),
                format_date(row.due_on) if row.due_on else "", row.overdue_days,
                number_cell(row.amount, decimal_mark=mark), number_cell(row.open_amount, decimal_mark=mark),
                row.currency, row.dunning_level or "",
            ])  # fmt: skip
    partial.replace(out)
    return len(items.rows)


def render_open_items_pdf(items: OpenItems) -> bytes:
    """A4 portrait, grouped by customer with a subtotal where a customer has several items, and the total."""
    from fpdf import FPDF  # imported here: fpdf2 alone takes 0.4 s, which every `kontor` command would pay

    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"  # the core fonts then have €, umlauts and ß
    pdf.set_title(f"{items.title} {items.company}")
    pdf.set_author(items.company)
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 7, items.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 5, _("{company} · as of {date}").format(company=items.company, date=format_date(items.as_of)),
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.ln(4)
    heads = [_("Invoice"), _("Customer"), _("Issued"), _("Due"), _("Days"), _("Amount"), _("Open")]
    _row(pdf, heads, WIDTHS, bold=True, border="B")
    for name, rows, subtotal in items.by_customer():
        for row in rows:
            _row(pdf, _cells(row), WIDTHS)
        if len(rows) > 1:
            label = _("Subtotal {customer}").format(customer=name)
            _row(pdf, [label, format_amount(subtotal, rows[0].currency)], (LABEL_WIDTH, WIDTHS[-1]), bold=True)
        pdf.ln(1)
    pdf.ln(2)
    for currency, total in (items.totals() or {"EUR": Decimal("0.00")}).items():
        label = _("Total open ({n} invoices)").format(n=len(items.rows))
        _row(pdf, [label, format_amount(total, currency)], (LABEL_WIDTH, WIDTHS[-1]), bold=True, border="T")
    return bytes(pdf.output())


def _cells(row: InvoiceRow) -> list[str]:
    """invoice, customer, issued, due, days overdue, amount, open: as the PDF and the printout show them."""
    return [row.number, row.customer_name, format_date(row.issued_on), format_date(row.due_on) if row.due_on else "",
            str(row.overdue_days) if row.overdue_days else "", format_amount(row.amount, row.currency),
            format_amount(row.open_amount, row.currency)]  # fmt: skip


def open_items_html(items: OpenItems) -> str:
    """The same list as HTML for Qt's print engine (QTextDocument), so Print and the PDF show the same."""
    heads = [_("Invoice"), _("Customer"), _("Issued"), _("Due"), _("Days"), _("Amount"), _("Open")]
    right = ' align="right"'
    parts = [
        f"<h2>{html.escape(items.title)}</h2>",
        "<p>" + html.escape(_("{company} · as of {date}").format(company=items.company, date=format_date(items.as_of)))
        + "</p>",
        '<table width="100%" cellspacing="0" cellpadding="3"><tr>'
        + "".join(f"<th{right if i >= 4 else ''}>{html.escape(h)}</th>" for i, h in enumerate(heads)) + "</tr>",
    ]  # fmt: skip
    for name, rows, subtotal in items.by_customer():
        for row in rows:
            cells = _cells(row)
            parts.append("<tr>" + "".join(f"<td{right if i >= 4 else ''}>{html.escape(c)}</td>"
                                          for i, c in enumerate(cells)) + "</tr>")  # fmt: skip
        if len(rows) > 1:
            label = html.escape(_("Subtotal {customer}").format(customer=name))
            amount = html.escape(format_amount(subtotal, rows[0].currency))
            parts.append(f'<tr><td colspan="6"><b>{label}</b></td><td{right}><b>{amount}</b></td></tr>')
    for currency, total in (items.totals() or {"EUR": Decimal("0.00")}).items():
        label = html.escape(_("Total open ({n} invoices)").format(n=len(items.rows)))
        amount = html.escape(format_amount(total, currency))
        parts.append(f'<tr><td colspan="6"><b>{label}</b></td><td{right}><b>{amount}</b></td></tr>')
    parts.append("</table>")
    return "\n".join(parts)


def _row(pdf: FPDF, cells: list[str], widths: tuple[int, ...], *, bold: bool = False, border: str = "") -> None:
    """One line of the table; amounts (the last two columns, or the last of a total) right-aligned, long texts cut
    to fit their column."""
    pdf.set_font("Helvetica", "B" if bold else "", 9)
    for index, (text, width) in enumerate(zip(cells, widths, strict=True)):
        shown = text.replace("\u00a0", " ")
        while shown and pdf.get_string_width(shown) > width - 2:
            shown = shown[:-2] + "…"
        align = "R" if index >= len(cells) - (1 if len(cells) == 2 else 2) else "L"
        pdf.cell(width, 5.5, shown, border=border, align=align)
    pdf.ln()


def write_open_items_pdf(items: OpenItems, out: Path) -> int:
    """The PDF into `out` (private, whole or not at all); returns the number of invoices."""
    data = render_open_items_pdf(items)
    out = Path(out)
    make_parent(out)
    partial = out.with_name(out.name + ".partial")
    with open_private(partial, "wb") as stream:
        stream.write(data)
    partial.replace(out)
    return len(items.rows)
