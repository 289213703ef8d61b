"""How the transactions view behaves at a million rows, measured against a keyset page query in the same run.

Run: `.venv/bin/python -m bench.views_bench [--rows N]` (the generated ledger is cached in /tmp per N)."""

from __future__ import annotations

import argparse
import functools
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sqlalchemy import func, insert, select, text  # noqa: E402

from app.models.schema import BalanceSnapshot, BankAccount, Transaction  # noqa: E402
from app.services.ledger.database import Ledger  # noqa: E402
from app.services.statements.query import transaction_ids, transaction_rows  # noqa: E402
from app.services.statements.search_index import index_transactions  # noqa: E402

PASSPHRASE = "bench passphrase"
CHUNK = 50_000
PAGE = 256
RARE_WORD = "Zwetschgenkuchen"  # in about 1 of 20,000 purposes
COMMON_WORD = "Rechnung"  # in about 1 of 5 purposes
_NAMES = [
    "Müller Metallbau GmbH",
    "Schmidt Elektrotechnik KG",
    "Schäfer Werkzeugbau e.K.",
    "Würth Industrie Service",
    "Stahlhandel Franken GmbH",
    "N-ERGIE AG",
    "Telekom Deutschland GmbH",
    "DATEV eG",
    "TANKSTELLE ARAL",
    "AMAZON EU",
    "Finanzamt Nürnberg-Süd",
    "Anna Becker",
    "Jonas Fischer",
    "Lena Hoffmann",
]


def _rows(count: int, account_ids: list[int], rng: random.Random, first_id: int) -> list[dict]:
    """Bookings in date order (one day per ~300 rows), so ids follow booking order as after real imports."""
    start = date(2016, 1, 1)
    rows = []
    for offset in range(count):
        number = first_id + offset
        roll = rng.random()
        if roll < 0.2:
            purpose = f"{COMMON_WORD} RE-{number:07d}"
        elif roll < 0.20005:
            purpose = f"{RARE_WORD} Lieferung {number}"
        else:
            purpose = f"Lieferung LS-{rng.randrange(10_000, 99_999)} Kundennr. {rng.randrange(1000, 9999)}"
        rows.append(
            {
                "account_id": account_ids[number % len(account_ids)],
                "booked_on": start + timedelta(days=number // 300),
                "value_on": start + timedelta(days=number // 300),
                "amount_cents": rng.choice((1, -1, -1)) * rng.randrange(100, 5_000_000),
                "currency": "EUR",
                "counterparty_name": rng.choice(_NAMES),
                "counterparty_iban": "DE02120300000000202051",
                "purpose": purpose,
                "end_to_end_id": f"E2E{number:09d}",
                "transaction_code": "116",
                "status": "booked",
                "reconciliation": rng.choice(("open", "open", "matched", "ignored")),
                "raw": f":61:{number}",
            }
        )
    return rows


def build_ledger(rows: int) -> Path:
    """A cached encrypted ledger with `rows` generated bookings (bulk Core inserts, 50k per chunk)."""
    path = Path(f"/tmp/kontor-views-bench-{rows}.kontor")
    if path.exists():
        return path
    partial = path.with_name(path.name + ".building")
    for leftover in partial.parent.glob(partial.name + "*"):
        leftover.unlink()
    started = time.perf_counter()
    ledger = Ledger.create(partial, PASSPHRASE, company_name="Bench GmbH")
    rng = random.Random(1)
    with ledger.session() as session, session.begin():
        accounts = [
            BankAccount(iban=f"DE8976050101000000000{n}", bank_name="Sparkasse Nürnberg", name=f"Konto {n}")
            for n in range(3)
        ]
        session.add_all(accounts)
        session.flush()
        account_ids = [account.id for account in accounts]
        for account_id in account_ids:
            session.add(BalanceSnapshot(account_id=account_id, balance_on=date(2015, 12, 31), amount_cents=0))
    for first in range(0, rows, CHUNK):
        with ledger.session() as session, session.begin():
            session.execute(insert(Transaction), _rows(min(CHUNK, rows - first), account_ids, rng, first))
            last_id = session.scalar(select(func.max(Transaction.id))) or 0
            index_transactions(session, last_id - min(CHUNK, rows - first) + 1, last_id)
        print(f"  generated {first + CHUNK:,} rows", file=sys.stderr, end="\r")
    ledger.close()
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    partial.rename(path)
    print(f"built {path} with {rows:,} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def _timed(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best of `repeat` wall times in seconds (the first run warms the page cache)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def _more_than(items: list[int], count: int) -> bool:
    return len(items) > count


def _wait(app: object, condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Process events until `condition` holds (the page's workers deliver through the event loop)."""
    from PySide6.QtWidgets import QApplication

    deadline = time.perf_counter() + timeout
    while not condition():
        QApplication.processEvents()
        if time.perf_counter() > deadline:
            raise TimeoutError("the transactions page did not finish loading")
        time.sleep(0.0005)


def _measure_view(ledger: Ledger, anchor_s: float, report: Callable[[str, float], None]) -> None:
    from PySide6.QtWidgets import QApplication

    from app.views.transactions_page import TransactionsPage

    app = QApplication.instance() or QApplication([])
    started = time.perf_counter()
    page = TransactionsPage(ledger)
    page.resize(1280, 800)
    page.show()
    _wait(app, lambda: page.model.rowCount() > 0)
    page.table.viewport().repaint()
    report("view constructed, shown, first rows painted", time.perf_counter() - started)
    _wait(app, lambda: not page.loading)
    report("... and every id loaded (background job)", time.perf_counter() - started)

    fetches = page.model.page_fetches
    started = time.perf_counter()
    page.table.scrollToBottom()
    QApplication.processEvents()
    page.table.viewport().repaint()
    report("scroll to end (last page fetched and painted)", time.perf_counter() - started)
    assert page.model.page_fetches > fetches, "the last page was not fetched"

    steps = []
    scrollbar = page.table.verticalScrollBar()
    page.table.scrollToTop()
    QApplication.processEvents()
    for position in range(0, scrollbar.maximum(), max(scrollbar.maximum() // 200, 1))[:200]:
        started = time.perf_counter()
        scrollbar.setValue(position)
        page.table.viewport().repaint()
        steps.append(time.perf_counter() - started)
    report("page step (jump), median", statistics.median(steps))
    report("page step (jump), max", max(steps))

    resets = []
    page.model.modelReset.connect(lambda: resets.append(1))
    for word in (RARE_WORD, COMMON_WORD):
        started = time.perf_counter()
        before = len(resets)
        page.search_edit.setText(word.lower()[:-2])
        page._apply_filter()  # skip the 250 ms typing debounce
        _wait(app, functools.partial(_more_than, resets, before))  # the new first page replaced the old rows
        page.table.viewport().repaint()
        report(f"search {word!r}: first page shown", time.perf_counter() - started)
        _wait(app, lambda: not page.loading)
        report(f"search {word!r}: all {page.model.rowCount():,} hits loaded", time.perf_counter() - started)
    page.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    path = build_ledger(args.rows)
    ledger = Ledger.open(path, PASSPHRASE)
    with ledger.session() as session:
        middle = session.execute(
            text("SELECT booked_on, id FROM transactions ORDER BY id LIMIT 1 OFFSET :n"), {"n": args.rows // 2}
        ).one()

        def anchor() -> object:
            return session.execute(
                text(
                    "SELECT * FROM transactions WHERE (booked_on, id) < (:day, :id)"
                    " ORDER BY booked_on DESC, id DESC LIMIT 256"
                ),
                {"day": middle[0], "id": middle[1]},
            ).all()

        anchor_s = _timed(anchor, repeat=20)
        page_s = _timed(lambda: transaction_rows(session, list(range(middle[1] - 256, middle[1]))), repeat=20)
        ids_s = _timed(lambda: transaction_ids(session), repeat=3)

    def report(label: str, seconds: float) -> None:
        print(f"{label:55s} {seconds * 1000:10.1f} ms {seconds / anchor_s:10.1f}x anchor")

    print(f"transactions view benchmark, {args.rows:,} rows, encrypted ledger")
    report("anchor: keyset page query of 256 rows", anchor_s)
    report("transaction_rows: one page of 256 by id", page_s)
    report("transaction_ids: default order, all rows", ids_s)
    _measure_view(ledger, anchor_s, report)
    ledger.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
