"""`kontor match` on an encrypted ledger (load, match, persist allocations, notifications and audit events),
as a ratio to the bare engine on the same data in the same run; then the incremental path through the ledger:
500 more payments imported and matched by `match_new_transactions`, and the Map dialog's `suggestions()`.

Run: `python -m bench.reconciliation_bench [--invoices N --payments M]`.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.models.schema import BankAccount, Customer, Invoice, StatementImport, Transaction
from app.services.formatting import to_cents
from app.services.ledger.database import Ledger
from app.services.matching import Matcher, Payment
from app.services.reconciliation.allocations import suggestions
from app.services.reconciliation.automatic import match_new_transactions, match_payments
from app.services.statements.search_index import index_transactions
from bench.matching_data import Books, generate

INCREMENTAL = 500


def _fill(ledger: Ledger, books: Books) -> None:
    with ledger.writer() as session:
        account = BankAccount(iban="DE89370400440532013000", name="Bench")
        session.add(account)
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
        _add_payments(session, account.id, books.payments)


def _add_payments(session: Session, account_id: int, payments: list[Payment]) -> list[int]:
    """Store payments as one statement import would, search index included; returns their ids."""
    batch = StatementImport(source="bench", format="bench", imported_by="bench")
    session.add(batch)
    session.flush()
    session.execute(
        insert(Transaction),
        [
            {
                "id": p.id,
                "account_id": account_id,
                "booked_on": p.booked_on,
                "amount_cents": to_cents(p.amount),
                "counterparty_name": p.counterparty_name,
                "counterparty_iban": p.counterparty_iban,
                "purpose": p.purpose,
                "end_to_end_id": p.end_to_end_id,
                "import_id": batch.id,
            }
            for p in payments
        ],
    )
    ids = sorted(p.id for p in payments)
    index_transactions(session, ids[0], ids[-1])
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    books = generate(invoices=args.invoices, payments=args.payments + INCREMENTAL, seed=args.seed)
    held = set(random.Random(args.seed).sample([p.id for p in books.payments], INCREMENTAL))
    later = [p for p in books.payments if p.id in held]
    books.payments = [p for p in books.payments if p.id not in held]
    # New ids after all others, as a later statement import would give them (and the search index expects).
    top = max(p.id for p in books.payments)
    later = [replace(p, id=top + n) for n, p in enumerate(later, start=1)]
    start = time.perf_counter()
    Matcher(books.invoices, books.customers, knowledge=books.knowledge).match_all(books.payments)
    engine = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger.create(Path(folder) / "bench.kontor", "bench", company_name="Bench")
        _fill(ledger, books)
        start = time.perf_counter()
        summary = match_payments(ledger, actor="bench")
        full = time.perf_counter() - start
        with ledger.writer() as session:
            account_id = session.scalar(select(BankAccount.id))
            assert account_id is not None
            ids = _add_payments(session, account_id, later)
        start = time.perf_counter()
        with ledger.writer() as session:  # as a statement import calls it, in the importer's transaction
            incremental = match_new_transactions(session, ids, actor="bench")
        step = time.perf_counter() - start
        with ledger.session() as session:
            open_ids = list(session.scalars(select(Transaction.id).where(Transaction.reconciliation == "open")))
        sample = open_ids[:: max(1, len(open_ids) // 20)][:20]
        start = time.perf_counter()
        for transaction_id in sample:
            suggestions(ledger, transaction_id)
        suggest = (time.perf_counter() - start) / max(1, len(sample))
        ledger.close()
    print(f"{args.invoices:,} open invoices, {args.payments:,} payments")
    print(f"engine alone (anchor)          {engine:7.2f} s  1.00")
    print(f"kontor match on the ledger     {full:7.2f} s  {full / engine:4.2f}  ({summary.text()})")
    print(f"then {INCREMENTAL} new payments          {step:7.2f} s        ({incremental.text()})")
    print(f"suggestions() for one payment  {suggest:7.3f} s        (mean of {len(sample)})")
    print(f"target: kontor match under 10 s, {INCREMENTAL} new payments under 0.5 s")


if __name__ == "__main__":
    main()
