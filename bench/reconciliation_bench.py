"""`kontor match` on an encrypted ledger (load, match, persist allocations, notifications and audit events),
as a ratio to the bare engine on the same data in the same run.

Run: `python -m bench.reconciliation_bench [--invoices N --payments M]`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from app.models.schema import BankAccount, Customer, Invoice, StatementImport, Transaction
from app.services.formatting import to_cents
from app.services.ledger import Ledger
from app.services.matching.engine import Matcher
from app.services.reconciliation import match_payments
from app.services.search_index import index_transactions
from bench.matching_data import Books, generate


def _fill(ledger: Ledger, books: Books) -> None:
    with ledger.writer() as session:
        account = BankAccount(iban="DE89370400440532013000", name="Bench")
        batch = StatementImport(source="bench", format="bench", imported_by="bench")
        session.add_all([account, batch])
        session.flush()
        session.execute(
            insert(Customer),
            [
                {"id": c.id, "number": c.number, "name": c.name, "iban": c.ibans[0] if c.ibans else ""}
                for c in books.customers
            ],
        )
        session.execute(
            insert(Invoice),
            [
                {
                    "id": i.id,
                    "number": i.number,
                    "kind": i.kind,
                    "customer_id": i.customer_id,
                    "issued_on": i.issued_on,
                    "due_on": i.due_on,
                    "amount_cents": to_cents(i.amount),
                }
                for i in books.invoices
            ],
        )
        session.execute(
            insert(Transaction),
            [
                {
                    "id": p.id,
                    "account_id": account.id,
                    "booked_on": p.booked_on,
                    "amount_cents": to_cents(p.amount),
                    "counterparty_name": p.counterparty_name,
                    "counterparty_iban": p.counterparty_iban,
                    "purpose": p.purpose,
                    "end_to_end_id": p.end_to_end_id,
                    "import_id": batch.id,
                }
                for p in books.payments
            ],
        )
        index_transactions(session, min(p.id for p in books.payments), max(p.id for p in books.payments))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    books = generate(invoices=args.invoices, payments=args.payments, seed=args.seed)
    start = time.perf_counter()
    Matcher(books.invoices, books.customers, knowledge=books.knowledge).match_all(books.payments)
    engine = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger.create(Path(folder) / "bench.kontor", "bench", company_name="Bench")
        _fill(ledger, books)
        start = time.perf_counter()
        summary = match_payments(ledger, actor="bench")
        full = time.perf_counter() - start
        ledger.close()
    print(f"{args.invoices:,} open invoices, {args.payments:,} payments")
    print(f"engine alone (anchor)          {engine:7.2f} s  1.00")
    print(f"kontor match on the ledger     {full:7.2f} s  {full / engine:4.2f}  ({summary.text()})")
    print("target: kontor match under 10 s")


if __name__ == "__main__":
    main()
