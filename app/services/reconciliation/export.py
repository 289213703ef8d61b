"""Allocations as CSV for the tax adviser."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.models.schema import (
    Allocation,
    Customer,
    Invoice,
    Transaction,
)
from app.services.csv_safety import SafeWriter, number_cell
from app.services.formatting import from_cents
from app.services.ledger.database import Ledger
from app.services.private_files import make_parent, open_private

EXPORT_COLUMNS = (
    "bank_reference",
    "booking_date",
    "amount",
    "counterparty_name",
    "invoice_number",
    "allocated_amount",
    "method",
    "confidence",
    "discount",
    "customer_number",
    "customer_name",
    "transaction_id",
    "invoice_id",
    "allocated_by",
    "allocated_at",
)


def export_allocations(ledger: Ledger, out: Path) -> int:
    """One UTF-8 CSV row per allocation, amounts with a decimal point, for the tax adviser or a DATEV import.

    Text cells are formula-safe and the file is private (0600): see csv_safety and private_files.
    """
    query = (
        select(
            Transaction.bank_reference,
            Transaction.booked_on,
            Transaction.amount_cents,
            Transaction.counterparty_name,
            Invoice.number,
            Allocation.amount_cents,
            Allocation.method,
            Allocation.confidence,
            Allocation.discount_cents,
            Customer.number,
            Customer.name,
            Transaction.id,
            Invoice.id,
            Allocation.created_by,
            Allocation.created_at,
        )
        .join(Transaction, Transaction.id == Allocation.transaction_id)
        .join(Invoice, Invoice.id == Allocation.invoice_id)
        .join(Customer, Customer.id == Invoice.customer_id)
        .order_by(Transaction.booked_on, Transaction.id, Allocation.id)
    )
    count = 0
    out = Path(out)
    make_parent(out)
    partial = out.with_name(out.name + ".partial")
    with ledger.session() as session, open_private(partial, "w", encoding="utf-8", newline="") as stream:
        writer = SafeWriter(stream)
        writer.writerow(EXPORT_COLUMNS)
        for (reference, booked_on, amount, name, number, allocated, method, confidence, discount, customer_number,
             customer_name, tx_id, invoice_id, by, at) in session.execute(query):  # fmt: skip
            writer.writerow(
                [reference, booked_on.isoformat(), number_cell(from_cents(amount)), name, number,
                 number_cell(from_cents(allocated)), method, f"{confidence:.3f}", number_cell(from_cents(discount)),
                 customer_number, customer_name, tx_id, invoice_id, by, at.isoformat(timespec="seconds")]
            )  # fmt: skip
            count += 1
    partial.replace(out)
    return count
