"""Four workstations on one server ledger at once: overlapping statement imports with matching, and approvals and
changes of the same payment runs. Afterwards no booking twice, no allocation lost or doubled, every approved run
approved as it is now, and `audit verify` passes: the guarantees of the single-user file, with four users."""

from __future__ import annotations

import multiprocessing
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import server_url
from pg_cluster import Cluster
from server_workstation import work
from sqlalchemy import func, select
from statement_files import Booking, mt940
from test_payments_support import OWN, PASSWORDS, WEBER, add_users, audited

from app.models.schema import Allocation, Approval, BankAccount, Invoice, Transaction
from app.services.invoices.importing import import_invoices
from app.services.ledger import audit
from app.services.ledger.server import create_server, open_server
from app.services.payments.orders import create_transfer
from app.services.payments.runs import get_run, run_digest, submit_run

pytestmark = pytest.mark.server

WORKSTATIONS = 4
PAYMENTS = 50  # bookings, each paying one invoice
PER_FILE, STEP = 20, 10  # statement k holds payments 10k … 10k+19: each overlaps the next by half
RUNS = 4
PAYER = "DE12500105170648489890"
TODAY = date(2026, 3, 2)


def _cents(i: int) -> int:
    return 10000 + 101 * i


def _setup(url: str, folder: Path) -> tuple[list[str], list[tuple[int, int]]]:
    """The ledger the workstations share: users, the account, invoices and submitted runs; and the statements."""
    create_server(url, company_name="Vier Plätze GmbH").close()
    with open_server(url) as ledger:
        with ledger.writer() as session:
            audited(session, BankAccount(iban=OWN, bic="COBADEFFXXX", name="Geschäftskonto"))
            add_users(session, {"anna": "bookkeeper", "bob": "approver", "carla": "approver"})
        invoices = folder / "invoices.csv"
        lines = ["Rechnungsnummer;Kunde;Rechnungsdatum;Betrag"]
        lines += [
            f"RE-2026-{1000 + i};Kunde {i} GmbH;01.03.2026;{_cents(i) // 100},{_cents(i) % 100:02d}"
            for i in range(PAYMENTS)
        ]
        invoices.write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert import_invoices(ledger, invoices, actor="anna").new == PAYMENTS
        runs = []
        for r in range(RUNS):
            order = create_transfer(
                ledger, name="Weber", iban=WEBER, amount=f"{20 + r}.00", text=f"ER-{r}", actor="anna", today=TODAY
            )
            submit_run(ledger, order.run_id, actor="anna", today=TODAY)
            runs.append((order.run_id, order.order_id))
    statements = []
    for k in range((PAYMENTS - PER_FILE) // STEP + 1):
        bookings = [
            Booking(
                date(2026, 3, 2) + timedelta(days=i),
                Decimal(_cents(i)) / 100,
                f"Kunde {i} GmbH",
                PAYER,
                f"Rechnung RE-2026-{1000 + i}",
                f"E2E-{i}",
            )
            for i in range(k * STEP, k * STEP + PER_FILE)
        ]
        path = folder / f"statement-{k}.sta"
        path.write_text(mt940(OWN, bookings, opening=Decimal("0")), encoding="utf-8")
        statements.append(str(path))
    return statements, runs


def test_four_workstations_import_match_and_approve_at_once(pg_cluster: Cluster, tmp_path: Path) -> None:
    url = server_url(pg_cluster)
    statements, runs = _setup(url, tmp_path)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(WORKSTATIONS) as pool:
        start = manager.Barrier(WORKSTATIONS)
        began = time.perf_counter()
        results = pool.starmap(work, [(url, n, statements, runs, PASSWORDS, start) for n in range(WORKSTATIONS)])
    elapsed = time.perf_counter() - began
    print(f"\n{WORKSTATIONS} workstations: {elapsed:.1f} s; {results}")

    assert sum(done["new"] for done in results) == PAYMENTS  # each booking went in once, whoever imported it
    with open_server(url) as ledger, ledger.session() as session:
        assert session.scalar(select(func.count(Transaction.id))) == PAYMENTS
        twice = session.execute(
            select(Transaction.dedupe_key)
            .group_by(Transaction.account_id, Transaction.dedupe_key)
            .having(func.count() > 1)
        ).all()
        assert twice == []
        allocations = session.execute(
            select(Allocation.transaction_id, Allocation.invoice_id, Allocation.amount_cents)
        ).all()
        assert len(allocations) == PAYMENTS  # every payment booked to its invoice, none lost, none twice
        assert len({tx for tx, _i, _a in allocations}) == PAYMENTS and len({i for _t, i, _a in allocations}) == PAYMENTS
        amounts = dict(session.execute(select(Invoice.id, Invoice.amount_cents)).all())
        assert all(cents == amounts[invoice] for _tx, invoice, cents in allocations)
        assert set(session.scalars(select(Transaction.reconciliation))) == {"matched"}
        for run_id, _order in runs:
            run = get_run(session, run_id)
            standing = session.scalars(
                select(Approval).where(Approval.run_id == run_id, Approval.void.is_(False))
            ).all()
            # Every approval not voided is of the run as it is now: a change voided all those before it.
            assert all(approval.digest == run_digest(session, run) for approval in standing)
            assert run.status == ("approved" if standing else "submitted")
        report = audit.verify(session)
        assert report.ok, report.problem
