"""`kontor match` on an encrypted ledger (load, match, persist allocations, notifications and audit events),
as a ratio to the bare engine on the same data in the same run, both as the function and as the whole command
the user waits for (process start to exit); then the incremental path through the ledger: 500 more payments
imported and matched by `match_new_transactions`, and the Map dialog's `suggestions()`.

Run: `python -m bench.reconciliation_bench [--invoices N --payments M]`.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
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
from bench.process_bench import PASSPHRASE, compile_kontor, kontor_command, private_environment, run_process

INCREMENTAL = 500


def fill_ledger(ledger: Ledger, books: Books) -> None:
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


def _copy(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement, the fastest counts")
    args = parser.parse_args()
    compile_kontor()
    books = generate(invoices=args.invoices, payments=args.payments + INCREMENTAL, seed=args.seed)
    held = set(random.Random(args.seed).sample([p.id for p in books.payments], INCREMENTAL))
    later = [p for p in books.payments if p.id in held]
    books.payments = [p for p in books.payments if p.id not in held]
    # New ids after all others, as a later statement import would give them (and the search index expects).
    top = max(p.id for p in books.payments)
    later = [replace(p, id=top + n) for n, p in enumerate(later, start=1)]
    engine, full, command, step, suggest = [], [], [], [], []
    with tempfile.TemporaryDirectory() as folder:
        filled = Path(folder) / "filled.kontor"
        ledger = Ledger.create(filled, PASSPHRASE, company_name="Bench")
        fill_ledger(ledger, books)
        ledger.close()
        for run in range(args.repeat):  # alternately, so that load from other work falls on both alike
            start = time.perf_counter()
            Matcher(books.invoices, books.customers, knowledge=books.knowledge).match_all(books.payments)
            engine.append(time.perf_counter() - start)
            path = Path(folder) / f"run{run}.kontor"
            _copy(filled, path)
            process = Path(folder) / f"process{run}.kontor"
            _copy(filled, process)
            environment = private_environment(Path(folder) / "home") | {"KONTOR_PASSPHRASE": PASSPHRASE}
            command.append(run_process(kontor_command("--ledger", process, "match"), env=environment).seconds)
            ledger = Ledger.open(path, PASSPHRASE)  # a new process's ledger: nothing cached
            start = time.perf_counter()
            summary = match_payments(ledger, actor="bench")
            full.append(time.perf_counter() - start)
            with ledger.writer() as session:
                account_id = session.scalar(select(BankAccount.id))
                assert account_id is not None
                ids = _add_payments(session, account_id, later)
            start = time.perf_counter()
            with ledger.writer() as session:  # as a statement import calls it, in the importer's transaction
                incremental = match_new_transactions(session, ids, actor="bench")
            step.append(time.perf_counter() - start)
            with ledger.session() as session:
                open_ids = list(session.scalars(select(Transaction.id).where(Transaction.reconciliation == "open")))
            sample = open_ids[:: max(1, len(open_ids) // 20)][:20]
            start = time.perf_counter()
            for transaction_id in sample:
                suggestions(ledger, transaction_id)
            suggest.append((time.perf_counter() - start) / max(1, len(sample)))
            ledger.close()
    best_engine, best_full, best_command = min(engine), min(full), min(command)
    print(
        f"{args.invoices:,} open invoices, {args.payments:,} payments; fastest of {args.repeat}; "
        f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores"
    )
    print(f"engine alone (anchor)          {best_engine:7.2f} s  1.00")
    print(f"kontor match on the ledger     {best_full:7.2f} s  {best_full / best_engine:4.2f}  ({summary.text()})")
    print(f"  the same, whole command      {best_command:7.2f} s  {best_command / best_engine:4.2f}  (start to exit)")
    print(f"then {INCREMENTAL} new payments          {min(step):7.2f} s        ({incremental.text()})")
    print(f"suggestions() for one payment  {min(suggest):7.3f} s        (mean of {len(sample)})")
    print(f"target: kontor match under 5 s, {INCREMENTAL} new payments under 0.3 s")


if __name__ == "__main__":
    main()
