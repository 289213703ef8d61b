"""Matching after an import: it runs on the committed bookings, only when there is something to find, and its
failure costs no booking."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import func, select
from statement_files import Booking, mt940
from test_payments_support import OWN as PAYING
from test_payments_support import WEBER, signed_in
from test_payments_support import make_ledger as make_payments_ledger

from app.models.schema import Allocation, Notification, Transaction
from app.services.invoices.importing import import_invoices
from app.services.ledger import dialects
from app.services.ledger.database import Ledger
from app.services.payments import runs
from app.services.payments.approvals import approve_run
from app.services.payments.business_days import add_business_days
from app.services.payments.orders import create_transfer
from app.services.reconciliation import automatic
from app.services.reconciliation.booking import NOTIFY_EACH_UP_TO, ReconciliationError
from app.services.reconciliation.no_invoice import add_rule
from app.services.reconciliation.overview import outcome_of, outcome_of_imports
from app.services.statements.importing import AfterImport, import_statement_files

pytestmark = pytest.mark.both_ledgers

OWN = "DE89370400440532013000"
PAYER = "DE12500105170648489890"
INVOICES = "Rechnungsnummer;Kunde;Rechnungsdatum;Betrag\nRE-2026-0070;Lehmann KG;01.03.2026;999,00\n"
BOOKINGS = [
    Booking(date(2026, 3, 15), Decimal("999.00"), "Lehmann KG", PAYER, "Rechnung RE-2026-0070", "E2E-70"),
    Booking(date(2026, 3, 16), Decimal("-45.00"), "Stadtwerke", "DE02120300000000202051", "Strom Maerz"),
]


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return new_ledger(tmp_path / "match.kontor", "pw", company_name="Abgleich GmbH")


def statement(tmp_path: Path) -> Path:
    path = tmp_path / "march.sta"
    path.write_text(mt940(OWN, BOOKINGS, opening=Decimal("0")), encoding="utf-8")
    return path


def counts(ledger: Ledger) -> tuple[int, int]:
    with ledger.session() as session:
        return (
            session.scalar(select(func.count(Transaction.id))) or 0,
            session.scalar(select(func.count(Allocation.id))) or 0,
        )


def test_matching_runs_on_the_committed_import(ledger: Ledger, tmp_path: Path) -> None:
    (tmp_path / "invoices.csv").write_text(INVOICES, encoding="utf-8")
    import_invoices(ledger, tmp_path / "invoices.csv", actor="anna")
    [result] = import_statement_files(
        ledger, [statement(tmp_path)], actor="anna", after_import=runs.after_statement_import("anna")
    )
    assert result.ok and result.new == 2 and result.warnings == []
    assert counts(ledger) == (2, 1)  # the invoice's payment is booked to it


def test_a_failing_match_keeps_the_import_and_says_so(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "invoices.csv").write_text(INVOICES, encoding="utf-8")
    import_invoices(ledger, tmp_path / "invoices.csv", actor="anna")

    def broken(*args: object, **kwargs: object) -> None:
        raise ReconciliationError("the matcher broke")

    monkeypatch.setattr(automatic, "match_payments", broken)
    [result] = import_statement_files(
        ledger, [statement(tmp_path)], actor="anna", after_import=runs.after_statement_import("anna")
    )
    assert result.ok and result.new == 2
    assert counts(ledger) == (2, 0)
    [warning] = result.warnings
    assert "march.sta: imported, but automatic matching did not run (the matcher broke)" in warning


def test_nothing_to_find_nothing_run(ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No invoice and no sent order yet (a first import of old statements): neither step runs."""

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("ran without anything to find")

    monkeypatch.setattr(automatic, "match_payments", must_not_run)
    monkeypatch.setattr(runs, "match_booked_orders", must_not_run)
    [result] = import_statement_files(
        ledger, [statement(tmp_path)], actor="anna", after_import=runs.after_statement_import("anna")
    )
    assert result.ok and result.new == 2 and result.warnings == []
    assert counts(ledger) == (2, 0)


def test_a_sent_order_missing_from_later_statements_is_notified_once(tmp_path: Path) -> None:
    """Statements that reach three business days past the execution date without the order: the bookkeeper is told,
    once; statements that stop earlier prove nothing and say nothing."""
    ledger = make_payments_ledger(tmp_path / "pay.kontor")
    order = create_transfer(ledger, name="Weber", iban=WEBER, amount="250", text="ER-9", actor="anna")
    runs.submit_run(ledger, order.run_id, actor="anna")
    assert approve_run(ledger, order.run_id, approver=signed_in(ledger, "bob")).approved
    runs.export_run(ledger, order.run_id, tmp_path / "run.xml", actor="anna")
    assert runs.run_row(ledger, order.run_id).status == "sent"

    def import_until(day: date, name: str) -> None:
        path = tmp_path / name
        fee = [Booking(day, Decimal("-1.50"), "Bank", PAYING, f"Entgelt {day}")]
        path.write_text(mt940(PAYING, fee, opening=Decimal("0")), encoding="utf-8")
        [result] = import_statement_files(
            ledger, [path], actor="anna", after_import=runs.after_statement_import("anna")
        )
        assert result.ok, result.error

    def told() -> list[str]:
        with ledger.session() as session:
            return list(session.scalars(select(Notification.message).where(Notification.kind == runs.UNBOOKED_KIND)))

    import_until(add_business_days(order.execution_on, 2), "early.sta")
    assert told() == []
    import_until(add_business_days(order.execution_on, 3), "late.sta")
    [message] = told()
    assert order.end_to_end_id in message and "250.00" in message and "online banking" in message
    import_until(add_business_days(order.execution_on, 5), "later.sta")
    assert len(told()) == 1


def recording_hook(calls: list[list[int]]) -> AfterImport:
    """The real hook, noting the bookings it was given."""
    hook = runs.after_statement_import("anna")

    def record(ledger: Ledger, transaction_ids: list[int]) -> None:
        calls.append(transaction_ids)
        hook(ledger, transaction_ids)

    return record


def reconciliation_of(ledger: Ledger) -> list[str]:
    with ledger.session() as session:
        return list(session.scalars(select(Transaction.reconciliation).order_by(Transaction.id)))


def test_a_ledger_with_nothing_to_match_skips_the_hook(ledger: Ledger, tmp_path: Path) -> None:
    """No invoice, rule, sent order or own-account transfer: the hook is not even called, and the result says
    so with the bookings left open."""
    calls: list[list[int]] = []
    [result] = import_statement_files(ledger, [statement(tmp_path)], actor="anna", after_import=recording_hook(calls))
    assert result.ok and (result.new, result.booked, result.matched) == (2, 2, False)
    assert calls == []
    assert reconciliation_of(ledger) == ["open", "open"]


def test_a_transfer_between_own_accounts_runs_the_hook_without_invoices(ledger: Ledger, tmp_path: Path) -> None:
    other = tmp_path / "other.sta"
    other.write_text(mt940(PAYER, [BOOKINGS[1]], opening=Decimal("0")), encoding="utf-8")
    calls: list[list[int]] = []
    [first] = import_statement_files(ledger, [other], actor="anna", after_import=recording_hook(calls))
    assert first.ok and not first.matched and calls == []  # its counterparty is no account of ours
    [result] = import_statement_files(ledger, [statement(tmp_path)], actor="anna", after_import=recording_hook(calls))
    assert result.matched and len(calls) == 1 and len(calls[0]) == 2
    assert reconciliation_of(ledger) == ["open", "ignored", "open"]  # from PAYER, now an own account: a transfer


def test_a_no_invoice_rule_runs_the_hook(ledger: Ledger, tmp_path: Path) -> None:
    with ledger.writer() as session:
        add_rule(session, category="other", purpose_contains="Strom", actor="anna")
    calls: list[list[int]] = []
    [result] = import_statement_files(ledger, [statement(tmp_path)], actor="anna", after_import=recording_hook(calls))
    assert result.matched and len(calls) == 1
    assert reconciliation_of(ledger) == ["open", "ignored"]


def test_an_imports_outcome_counts_its_bookings_by_where_they_stand(ledger: Ledger, tmp_path: Path) -> None:
    (tmp_path / "invoices.csv").write_text(INVOICES, encoding="utf-8")
    import_invoices(ledger, tmp_path / "invoices.csv", actor="anna")
    [result] = import_statement_files(
        ledger, [statement(tmp_path)], actor="anna", after_import=runs.after_statement_import("anna")
    )
    assert result.import_id is not None
    outcome = outcome_of_imports(ledger, [result.import_id])
    with ledger.session() as session:
        ids = list(session.scalars(select(Transaction.id).where(Transaction.import_id == result.import_id)))
        assert outcome == outcome_of(session, ids)
    assert (outcome.new, outcome.assigned, outcome.no_invoice, outcome.attention) == (2, 1, 0, 1)
    assert outcome_of_imports(ledger, []).new == 0


def test_ids_beyond_one_in_list_are_asked_in_chunks_and_counted_together(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dialects.id_chunks` splits long id lists (5,000 per query); what each chunk finds adds up to the whole."""
    (tmp_path / "invoices.csv").write_text(INVOICES, encoding="utf-8")
    import_invoices(ledger, tmp_path / "invoices.csv", actor="anna")
    [result] = import_statement_files(
        ledger, [statement(tmp_path)], actor="anna", after_import=runs.after_statement_import("anna")
    )
    with ledger.session() as session:
        ids = list(session.scalars(select(Transaction.id).where(Transaction.import_id == result.import_id)))
        whole = outcome_of(session, ids)
        monkeypatch.setattr(dialects, "IDS_PER_QUERY", 1)
        assert [list(chunk) for chunk in dialects.id_chunks(ids)] == [[i] for i in ids]
        assert outcome_of(session, ids) == whole


def invoices_and_their_payments(ledger: Ledger, tmp_path: Path, count: int) -> Path:
    """`count` invoices imported, and a statement file paying each of them with its number (not imported)."""
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(
        "Rechnungsnummer;Kunde;Rechnungsdatum;Betrag\n"
        + "".join(f"RE-2026-{n:04d};Kunde {n} GmbH;01.03.2026;{100 + n},00\n" for n in range(count)),
        encoding="utf-8",
    )
    import_invoices(ledger, invoices, actor="anna")
    paid = [
        Booking(date(2026, 3, 15), Decimal(100 + n), f"Kunde {n} GmbH", PAYER, f"Rechnung RE-2026-{n:04d}", f"E{n}")
        for n in range(count)
    ]
    path = tmp_path / "big.sta"
    path.write_text(mt940(OWN, paid, opening=Decimal("0")), encoding="utf-8")
    return path


def test_a_big_run_notifies_once_with_its_count(ledger: Ledger, tmp_path: Path) -> None:
    """More automatic allocations than NOTIFY_EACH_UP_TO: one notification says how many, instead of a bell
    with one line per invoice; a small run keeps its line per invoice."""
    count = NOTIFY_EACH_UP_TO + 20
    path = invoices_and_their_payments(ledger, tmp_path, count)
    import_statement_files(ledger, [path], actor="anna", after_import=automatic.after_statement_import("anna"))
    with ledger.session() as session:
        messages = session.scalars(select(Notification.message).where(Notification.kind == "match")).all()
        allocated = session.scalar(select(func.count(Allocation.id)))
    assert allocated == count
    assert messages == [f"{count} payments assigned to invoices automatically ({count} allocations)"]


def test_matching_loads_no_importer() -> None:
    """`kontor match` and the import's matching hook load the engine, not the CSV, e-invoice or statement readers."""
    import subprocess
    import sys

    code = (
        "import sys, app.services.reconciliation.automatic; "
        "print(sorted(m for m in sys.modules if m.endswith(('importing', 'einvoice_import', 'einvoice'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]"
