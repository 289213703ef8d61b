"""Statement import and `kontor match` on a PostgreSQL server ledger next to the encrypted file, same data;
then the audit chain's serialization point: events appended per second by one writer and by four at once.

Run: `python -m bench.server_bench --server postgresql://user@localhost/empty_db?sslmode=disable` (an empty
database; libpq finds the password in ~/.pgpass), or set KONTOR_BENCH_SERVER. Without either it says so and stops.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.server import create_server
from app.services.reconciliation.automatic import match_payments
from app.services.statements.importing import import_statement_files
from bench.matching_data import generate
from bench.reconciliation_bench import fill_ledger
from bench.statement_data import write_mt940

EVENTS = 400  # audit appends per measurement, each in a transaction of its own


def _appends(ledger: Ledger, writers: int) -> float:
    """Audit events per second with `writers` threads appending at once, one event per transaction."""

    def append(count: int) -> None:
        for n in range(count):
            with ledger.writer() as session:
                audit.record(session, actor="bench", action="note", entity="bench", entity_id=n, data=n)

    threads = [threading.Thread(target=append, args=(EVENTS // writers,)) for _ in range(writers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return EVENTS / (time.perf_counter() - start)


def _measure(ledger: Ledger, statement: Path, match_ledger: Ledger, books: object) -> dict[str, float]:
    start = time.perf_counter()
    [result] = import_statement_files(ledger, [statement], actor="bench")
    imported = time.perf_counter() - start
    assert result.ok, result.error
    fill_ledger(match_ledger, books)  # type: ignore[arg-type]
    start = time.perf_counter()
    match_payments(match_ledger, actor="bench")
    matched = time.perf_counter() - start
    return {
        "import": result.new / imported,
        "match": len(books.payments) / matched,  # type: ignore[attr-defined]
        "audit1": _appends(ledger, 1),
        "audit4": _appends(ledger, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default=os.environ.get("KONTOR_BENCH_SERVER"), help="an empty database's URL")
    parser.add_argument("--server-match", help="a second empty database for the matching run (default: skip)")
    parser.add_argument("--bookings", type=int, default=20_000)
    parser.add_argument("--invoices", type=int, default=5_000)
    parser.add_argument("--payments", type=int, default=10_000)
    args = parser.parse_args()
    if not args.server or not args.server_match:
        print("skipped: give --server URL and --server-match URL (two empty databases), or see the docstring")
        return
    books = generate(invoices=args.invoices, payments=args.payments)
    with tempfile.TemporaryDirectory() as folder:
        statement = write_mt940(Path(folder) / "bench.sta", args.bookings)
        file_ledger = Ledger.create(Path(folder) / "bench.kontor", "bench", company_name="Bench")
        file_match = Ledger.create(Path(folder) / "match.kontor", "bench", company_name="Bench")
        on_file = _measure(file_ledger, statement, file_match, books)
        file_ledger.close()
        file_match.close()
        server = create_server(args.server, company_name="Bench")
        server_match = create_server(args.server_match, company_name="Bench")
        on_server = _measure(server, statement, server_match, books)
        server.close()
        server_match.close()
    print(f"{args.bookings:,} bookings imported; {args.invoices:,} invoices, {args.payments:,} payments matched")
    print(f"{'':32} {'file':>10} {'server':>10}")
    for key, label in (
        ("import", "import, bookings/s"),
        ("match", "kontor match, payments/s"),
        ("audit1", "audit appends/s, 1 writer"),
        ("audit4", "audit appends/s, 4 writers"),
    ):
        print(f"{label:32} {on_file[key]:10,.0f} {on_server[key]:10,.0f}")


if __name__ == "__main__":
    main()
