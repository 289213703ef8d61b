"""The open-items list's status filters: what the database leaves out for a filter is exactly what the status
derived in Python would leave out, for invoices in every state."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from ledger_templates import new_ledger
from sqlalchemy import select
from statement_files import Booking, camt053

from app.models.schema import Transaction
from app.services.invoices.importing import import_invoices
from app.services.invoices.open_items import InvoiceFilter, InvoiceStatus, invoice_rows
from app.services.ledger.database import Ledger
from app.services.reconciliation.allocations import allocate_manually
from app.services.statements.importing import import_statement_files

IBAN = "DE89370400440532013000"
TODAY = date(2026, 3, 20)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    folder = tmp_path_factory.mktemp("open-items")
    ledger = new_ledger(folder / "open.kontor", "pw", company_name="Offene Posten GmbH")
    csv = folder / "invoices.csv"
    csv.write_text(
        "Rechnungsnummer;Kunde;Rechnungsdatum;Fällig am;Betrag;offener Betrag;Status\n"
        "R-OPEN;Abel;01.03.2026;31.03.2026;100,00;;\n"
        "R-OVERDUE;Abel;01.02.2026;15.02.2026;200,00;;\n"
        "R-PARTIAL;Berg;01.03.2026;31.03.2026;300,00;;\n"
        "R-PARTIAL-OVERDUE;Berg;01.02.2026;15.02.2026;400,00;;\n"
        "R-PAID;Cord;01.03.2026;31.03.2026;500,00;;\n"
        "R-PAID-ELSEWHERE;Cord;01.03.2026;31.03.2026;600,00;0,00;\n"
        "R-REPORTED-PART;Cord;01.03.2026;31.03.2026;700,00;350,00;\n"
        "R-CANCELLED;Dorn;01.03.2026;31.03.2026;800,00;;storniert\n"
        "R-NO-DUE;Dorn;01.01.2026;;900,00;;\n",
        encoding="utf-8",
    )
    import_invoices(ledger, csv, actor="anna")
    statement = folder / "march.xml"
    bookings = [
        Booking(date(2026, 3, 5), Decimal(amount), "Zahler", IBAN, f"Zahlung {n}")
        for n, amount in enumerate(("100.00", "150.00", "500.00"))
    ]
    statement.write_text(camt053(IBAN, bookings, opening=Decimal("0")), encoding="utf-8")
    import_statement_files(ledger, [statement], actor="anna")
    numbers = {row.number: row.id for row in invoice_rows(ledger, today=TODAY)}
    with ledger.session() as session:
        payments = session.scalars(select(Transaction.id).order_by(Transaction.amount_cents)).all()
    paid = (("R-PARTIAL", "100.00"), ("R-PARTIAL-OVERDUE", "150.00"), ("R-PAID", "500.00"))
    for transaction_id, (number, amount) in zip(payments, paid, strict=True):
        allocate_manually(ledger, transaction_id, [(numbers[number], Decimal(amount))], actor="anna")
    yield ledger
    ledger.close()


def test_every_state_is_there(ledger: Ledger) -> None:
    statuses = {row.number: row.status for row in invoice_rows(ledger, today=TODAY)}
    assert set(statuses.values()) == set(InvoiceStatus)


@pytest.mark.parametrize("status", [*InvoiceStatus, "review"])
def test_a_status_filter_gives_the_rows_with_that_status(ledger: Ledger, status: str) -> None:
    every = invoice_rows(ledger, today=TODAY)
    unpaid = {InvoiceStatus.OPEN, InvoiceStatus.PARTIAL, InvoiceStatus.OVERDUE}
    if status == InvoiceStatus.OPEN:
        expected = [row for row in every if row.status in unpaid]
    elif status == "review":
        expected = [row for row in every if row.needs_review]
    else:
        expected = [row for row in every if row.status == status]
    assert invoice_rows(ledger, InvoiceFilter(status=status), today=TODAY) == expected
