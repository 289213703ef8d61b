"""The Invoices page's detail: the payments that settled an invoice, its history from the audit trail, credit used,
notes; and the open-items list (OP-Liste) as CSV and PDF."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from statement_files import Booking
from test_reconciliation import MUELLER, TODAY, Scenario, scenario  # noqa: F401  (the fixture)

from app.models.schema import Transaction
from app.services import i18n
from app.services.invoices.importing import import_invoices
from app.services.invoices.invoice_detail import invoice_detail
from app.services.invoices.open_items_export import (
    open_items,
    open_items_html,
    render_open_items_pdf,
    write_open_items_csv,
    write_open_items_pdf,
)
from app.services.reconciliation.allocations import undo_allocation
from app.services.reconciliation.credits import paid_references, record_credit, use_credit


def test_a_paid_invoice_shows_the_payment_that_settled_it(scenario: Scenario) -> None:  # noqa: F811
    detail = invoice_detail(scenario.ledger, scenario.inv["RE-2026-0042"])
    [payment] = detail.payments
    assert (payment.booked_on, payment.amount, payment.counterparty) == (
        date(2026, 3, 10), Decimal("1190.00"), "Mueller Metallbau GmbH")  # fmt: skip
    assert payment.automatic and not payment.from_credit and "RE-2026-0042" in payment.purpose
    assert [entry.text for entry in detail.history] == ["imported", "payment allocated automatically"]
    assert detail.history[1].amount == Decimal("1190.00") and detail.credit_used == 0
    open_one = invoice_detail(scenario.ledger, scenario.inv["RE-2026-0050"])
    assert open_one.payments == [] and [e.text for e in open_one.history] == ["imported"]


def test_credit_used_and_an_undone_allocation_stay_in_the_history(scenario: Scenario) -> None:  # noqa: F811
    s = scenario
    s.statement("twice.sta", [Booking(date(2026, 3, 16), Decimal("1190.00"), "Müller Metallbau GmbH", MUELLER,
                                      "RE-2026-0042 nochmal")])  # fmt: skip
    with s.ledger.session() as session:
        again = int(session.scalar(select(func.max(Transaction.id))))
    [paid] = paid_references(s.ledger, again)
    record_credit(s.ledger, again, paid.customer_id, actor="anna")
    (s.tmp / "more.csv").write_text(
        "Rechnungsnummer;Kunde;Kundennummer;Rechnungsdatum;Fällig am;Betrag brutto\n"
        "RE-2026-0080;Müller Metallbau GmbH;K10001;16.03.2026;30.03.2026;500,00\n",
        encoding="utf-8",
    )
    import_invoices(s.ledger, s.tmp / "more.csv", actor="anna")
    later = s.row("RE-2026-0080").id
    use_credit(s.ledger, later, actor="anna")
    detail = invoice_detail(s.ledger, later)
    [payment] = detail.payments
    assert payment.from_credit and payment.amount == Decimal("500.00") and detail.credit_used == Decimal("500.00")
    assert [(e.text, e.amount) for e in detail.history][-1] == ("paid from the customer's credit", Decimal("500.00"))
    undo_allocation(s.ledger, transaction_id=again, actor="anna")
    detail = invoice_detail(s.ledger, later)
    assert detail.payments == [] and detail.history[-1].text == "allocation undone"
    assert "paid from the customer's credit" in [e.text for e in detail.history]  # what happened before stays


def test_open_items_list_as_csv_in_the_readers_language(scenario: Scenario, tmp_path: Path) -> None:  # noqa: F811
    items = open_items(scenario.ledger, today=TODAY)
    numbers = [row.number for row in items.rows]
    assert "RE-2026-0042" not in numbers and "RE-2026-0050" in numbers  # paid ones are not open items
    assert [row.customer_name for row in items.rows] == sorted(row.customer_name for row in items.rows)
    out = tmp_path / "op" / "op-liste.csv"
    assert write_open_items_csv(items, out) == len(items.rows)
    rows = list(csv.reader(out.open(encoding="utf-8"), delimiter=","))
    assert rows[0][:3] == ["Invoice", "Customer number", "Customer"]
    weber = next(row for row in rows if row[0] == "RE-2026-0050")
    assert weber[2] == "Bäckerei Weber e.K." and weber[6:9] == ["500.00", "500.00", "EUR"]
    assert oct(out.stat().st_mode & 0o777) == "0o600" and not out.with_name("op-liste.csv.partial").exists()
    i18n.set_language("de")
    try:
        write_open_items_csv(items, out)
    finally:
        i18n.set_language("en")
    rows = list(csv.reader(out.open(encoding="utf-8-sig"), delimiter=";"))
    assert rows[0][0] == "Rechnung"
    weber = next(row for row in rows if row[0] == "RE-2026-0050")
    assert weber[3] == "04.03.2026" and weber[6] == "500,00"


def test_open_items_list_as_pdf(scenario: Scenario, tmp_path: Path) -> None:  # noqa: F811
    from pypdf import PdfReader

    items = open_items(scenario.ledger, today=TODAY)
    pdf = render_open_items_pdf(items)
    assert pdf.startswith(b"%PDF")
    out = tmp_path / "op.pdf"
    assert write_open_items_pdf(items, out) == len(items.rows)
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Open items: receivables" in text and "Abgleich GmbH" in text and "RE-2026-0050" in text
    assert "Subtotal Bäckerei Weber e.K." in text  # two open invoices of one customer
    total = sum((row.open_amount for row in items.rows), Decimal("0.00"))
    assert f"€{total:,.2f}" in text
    printed = open_items_html(items)  # what Print sends to Qt's print engine: the same rows and sums
    assert "Subtotal Bäckerei Weber e.K." in printed and f"€{total:,.2f}" in printed and "RE-2026-0050" in printed
