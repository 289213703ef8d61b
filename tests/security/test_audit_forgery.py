"""Forged audit trails (issue 11): someone with the ledger passphrase edits the decrypted file with sqlcipher3 or
SQLAlchemy, as an attacker would; `kontor audit verify` must report each forgery, with a clear message and exit 1.

Inserted rows of every audited table, bookings slipped into an existing import, a cut-off tail of the audit log and
a chain recomputed from the start are covered here; edited rows and events are in tests/services/test_audit.py.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3
from ledger_templates import new_ledger
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.cli import main
from app.models.schema import AuditEvent, Invoice, Transaction
from app.services.demo.data import create_demo_ledger
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.paths import state_dir

PASS = "Forge-Passphrase 4711"
EXIT_BROKEN = 1


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo ledger made once: two accounts, about 2,000 bookings in one import, invoices, allocations."""
    path = tmp_path_factory.mktemp("template") / "demo.kontor"
    ledger = new_ledger(path, PASS, company_name="Brenner GmbH")
    try:
        create_demo_ledger(ledger, actor="demo", today=date(2026, 11, 1))
    finally:
        ledger.close()
    return path


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """main() adds a handler to the root logger; take it away again after the test."""
    before = list(logging.getLogger().handlers)
    yield
    for handler in [h for h in logging.getLogger().handlers if h not in before]:
        logging.getLogger().removeHandler(handler)
        handler.close()


@pytest.fixture
def ledger(template: Path, kontor_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the demo ledger that this computer has verified once, as after any use of Kontor."""
    path = kontor_home / "firma.kontor"
    shutil.copy(template, path)
    monkeypatch.setenv("KONTOR_PASSPHRASE", PASS)
    code, output = verify(path)
    assert code == 0, output
    return path


def verify(path: Path, *options: str) -> tuple[int, str]:
    """`kontor --ledger PATH audit verify`, run in this process; exit code and everything it printed."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--ledger", str(path), "audit", "verify", *options])
    return code, out.getvalue() + err.getvalue()


def verify_json(path: Path) -> tuple[int, dict[str, Any]]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--ledger", str(path), "--json", "audit", "verify"])
    return code, json.loads(out.getvalue())


def raw(path: Path) -> sqlcipher3.Connection:
    """What an attacker uses: sqlcipher3 and the passphrase, no Kontor (and no foreign key checks)."""
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA key = '" + PASS.replace("'", "''") + "'")
    return conn


def forge(path: Path, table: str, **values: Any) -> int:
    """Insert one row into `table` with `values`, any other required column filled in by its type."""
    fill = {"INTEGER": 1, "BOOLEAN": 0, "DOUBLE": 1.0, "FLOAT": 1.0, "DATE": "2026-11-02", "TEXT": "forged"}
    conn = raw(path)
    try:
        for _cid, name, declared, notnull, default, _pk in conn.execute(f"PRAGMA table_info({table})").fetchall():
            if name == "id" or name in values or not notnull or default is not None:
                continue
            kind = declared.split("(")[0]
            values[name] = "2026-11-02 10:00:00.000000" if kind == "DATETIME" else fill.get(kind, "forged")
        columns = ", ".join(f'"{name}"' for name in values)
        marks = ", ".join("?" * len(values))
        cursor = conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values.values()))
        return int(cursor.lastrowid)
    finally:
        conn.close()


def execute(path: Path, sql: str) -> None:
    conn = raw(path)
    try:
        conn.execute(sql)
    finally:
        conn.close()


def event_count(path: Path) -> int:
    conn = raw(path)
    try:
        return int(conn.execute("SELECT count(*) FROM audit_events").fetchone()[0])
    finally:
        conn.close()


def test_an_untouched_ledger_verifies_and_prints_its_head(ledger: Path) -> None:
    code, report = verify_json(ledger)
    assert code == 0 and report["ok"] is True
    head = report["head"]
    assert head["events"] == event_count(ledger) > 300 and len(head["hash"]) == 64
    assert report["seen_before"] == head  # the fixture's verify remembered it
    code, output = verify(ledger)
    assert code == 0 and f"Audit head: event {head['events']}, hash {head['hash']}" in output


def test_the_head_is_kept_outside_the_ledger_in_a_private_file(ledger: Path) -> None:
    [anchor] = (state_dir() / "audit-heads").glob("*.json")
    saved = json.loads(anchor.read_text(encoding="utf-8"))
    assert saved["ledger"] == str(ledger.resolve()) and saved["events"] == event_count(ledger)
    if os.name == "posix":
        assert stat.S_IMODE(anchor.stat().st_mode) == 0o600
        assert stat.S_IMODE(anchor.parent.stat().st_mode) == 0o700


def test_a_booking_inserted_without_import_is_reported(ledger: Path) -> None:
    booking = forge(ledger, "transactions", account_id=1, booked_on="2026-10-30", amount_cents=-500000,
                    counterparty_name="Mallory", status="booked", import_id=None)  # fmt: skip
    code, output = verify(ledger)
    assert code == EXIT_BROKEN
    assert f"Audit log broken: booking {booking} has no audit event (inserted outside Kontor)" in output


def test_a_booking_slipped_into_an_existing_import_is_reported(ledger: Path) -> None:
    forge(ledger, "transactions", account_id=1, booked_on="2026-10-30", amount_cents=-500000,
          counterparty_name="Mallory", status="booked", import_id=1)  # fmt: skip
    code, output = verify(ledger)
    assert code == EXIT_BROKEN
    assert "statement import 1 was changed outside Kontor after audit event" in output


def test_a_forged_allocation_is_reported(ledger: Path) -> None:
    allocation = forge(ledger, "allocations", transaction_id=1, invoice_id=1, amount_cents=100, method="manual",
                       created_by="anna")  # fmt: skip
    code, output = verify(ledger)
    assert code == EXIT_BROKEN
    assert f"allocation {allocation} has no audit event (inserted outside Kontor)" in output


@pytest.mark.parametrize(
    ("table", "noun", "values"),
    [
        ("users", "user", {"name": "mallory", "role": "approver", "active": 1}),
        ("payment_runs", "payment run", {"kind": "transfer", "status": "approved", "account_id": 1}),
        ("payment_orders", "payment order", {"run_id": 1, "amount_cents": 9999900, "end_to_end_id": "FORGED"}),
        ("payment_approvals", "approval", {"run_id": 1, "user_id": 1}),
        ("invoices", "invoice", {"number": "RE-FORGED", "kind": "payable", "customer_id": 1}),
        ("customers", "customer", {"name": "Mallory Ltd"}),
        ("bank_accounts", "bank account", {"iban": "DE02120300000000202051"}),
        ("bank_connections", "bank connection", {}),
        ("mandates", "mandate", {"reference": "FORGED-1", "scheme": "CORE", "sequence": "FRST", "status": "active"}),
        ("payer_knowledge", "learned payer", {"key_kind": "iban", "key": "DE02120300000000202051"}),
        ("company_settings", "company settings", {"name": "Mallory", "creditor_id": "DE98ZZZ09999999999"}),
    ],
)
def test_a_row_inserted_into_any_audited_table_is_reported(
    ledger: Path, table: str, noun: str, values: dict[str, Any]
) -> None:
    row_id = forge(ledger, table, **values)
    code, output = verify(ledger)
    assert code == EXIT_BROKEN
    assert f"{noun} {row_id} has no audit event (inserted outside Kontor)" in output


@pytest.mark.parametrize("removed", [1, 2])
def test_removing_the_last_events_is_reported(ledger: Path, removed: int) -> None:
    events = event_count(ledger)
    execute(ledger, f"DELETE FROM audit_events WHERE id > (SELECT max(id) - {removed} FROM audit_events)")
    code, output = verify(ledger)
    assert code == EXIT_BROKEN
    assert f"the audit log ends at event {events - removed}, but this computer last saw event {events}" in output
    assert "events were removed" in output


def test_removing_every_event_is_reported(ledger: Path) -> None:
    events = event_count(ledger)
    execute(ledger, "DELETE FROM audit_events")
    code, output = verify(ledger)
    assert code == EXIT_BROKEN
    assert f"the audit log ends at event 0, but this computer last saw event {events}" in output


def test_removing_every_event_shows_on_another_computer_too(ledger: Path) -> None:
    """Without an anchor the rows still need their events: the company settings row is the first without one."""
    execute(ledger, "DELETE FROM audit_events")
    code, output = verify(ledger, "--forget-head")
    assert code == EXIT_BROKEN
    assert "has no audit event (inserted outside Kontor)" in output


def test_opening_and_closing_a_cut_ledger_does_not_hide_the_cut(ledger: Path) -> None:
    events = event_count(ledger)
    execute(ledger, "DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)")
    Ledger.open(ledger, PASS).close()  # e.g. the GUI unlocked and closed it: the close must not accept the cut
    code, output = verify(ledger)
    assert code == EXIT_BROKEN and f"this computer last saw event {events}" in output
    code, output = verify(ledger)  # a failed verify does not accept it either
    assert code == EXIT_BROKEN and f"this computer last saw event {events}" in output


def test_unlocking_a_cut_ledger_names_the_head_this_computer_saw(ledger: Path) -> None:
    """What the GUI asks right after unlocking, to warn before anyone works on a tampered ledger."""
    opened = Ledger.open(ledger, PASS)
    try:
        assert opened.discontinued_audit_head() is None
    finally:
        opened.close()
    events = event_count(ledger)
    execute(ledger, "DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)")
    opened = Ledger.open(ledger, PASS)
    try:
        seen = opened.discontinued_audit_head()
        assert seen is not None and seen.events == events
    finally:
        opened.close()


def _rewrite_chain(path: Path, *, invoice_id: int, amount_cents: int) -> None:
    """Change an invoice, give its latest event the matching digest and recompute every hash from the start."""
    conn = raw(path)
    engine = create_engine("sqlite://", creator=lambda: conn, module=sqlcipher3.dbapi2)
    with Session(engine) as session, session.begin():
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        invoice.amount_cents = amount_cents
        session.flush()
        latest = session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "invoices", AuditEvent.entity_id == invoice_id)
            .order_by(AuditEvent.id.desc()).limit(1)
        ).one()  # fmt: skip
        latest.data_digest = audit.digest(audit.row_data(invoice))
        prev = audit.GENESIS
        for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
            event.prev_hash = prev
            event.chain_hash = prev = audit._chain(prev, event)
            session.flush()
    engine.dispose()
    conn.close()


def test_a_consistently_rewritten_chain_is_flawless_in_itself(ledger: Path) -> None:
    """Why the anchor is needed: without it, a chain recomputed after the change verifies."""
    _rewrite_chain(ledger, invoice_id=1, amount_cents=1)
    code, output = verify(ledger, "--forget-head")
    assert code == 0, output


def test_a_rewritten_chain_is_reported_against_the_head_this_computer_saw(ledger: Path) -> None:
    events = event_count(ledger)
    _rewrite_chain(ledger, invoice_id=1, amount_cents=1)
    code, output = verify(ledger)
    assert code == EXIT_BROKEN
    assert f"event {events} is not the one this computer saw last" in output and "was rewritten" in output


def test_a_forger_using_kontors_own_hashing_shows_only_as_new_events(ledger: Path) -> None:
    """The limit of any log kept in the file it protects: whoever has the passphrase can append well-formed events.

    Such a booking verifies, but `audit verify` says how many events arrived since this computer last looked.
    """
    conn = raw(ledger)
    engine = create_engine("sqlite://", creator=lambda: conn, module=sqlcipher3.dbapi2)
    with Session(engine) as session, session.begin():
        booking = session.get(Transaction, 1)
        assert booking is not None
        forged = Transaction(**{name: getattr(booking, name) for name in Transaction.__audited__})
        forged.counterparty_name, forged.import_id = "Mallory", None
        session.add(forged)
        session.flush()
        audit.record_row(session, actor="anna", action="create", row=forged)
    engine.dispose()
    conn.close()
    code, output = verify(ledger)
    assert code == 0, output
    assert "1 event is new since this computer last saw the log" in output


def test_a_legitimate_change_moves_the_head_on(ledger: Path) -> None:
    from app.services.ledger.company import rename_company

    code, before = verify_json(ledger)
    opened = Ledger.open(ledger, PASS)
    try:
        rename_company(opened, "Brenner & Söhne GmbH", actor="anna")
    finally:
        opened.close()
    code, after = verify_json(ledger)
    assert code == 0 and after["ok"] is True
    assert after["seen_before"]["events"] == before["head"]["events"] + 1  # recorded by the close
    assert after["head"]["events"] == before["head"]["events"] + 1


def test_backups_record_their_head_and_a_restore_is_not_a_cut(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app.services.ledger.company import rename_company

    backup = ledger.with_name("sicherung.kontor")
    assert main(["--ledger", str(ledger), "backup", str(backup)]) == 0
    events = event_count(ledger)
    assert f"Audit head: event {events}, hash " in capsys.readouterr().out
    opened = Ledger.open(ledger, PASS)
    try:
        rename_company(opened, "Später GmbH", actor="anna")
    finally:
        opened.close()
    code, output = verify(backup)  # the copy is held against its own head, not the ledger's newer one
    assert code == 0, output
    capsys.readouterr()
    assert main(["--ledger", str(ledger), "restore", str(backup)]) == 0  # a deliberate step back
    assert f"Audit head: event {events}, hash " in capsys.readouterr().out
    code, output = verify(ledger)
    assert code == 0, output
    assert f"Audit head: event {events}, hash " in output


def test_a_copy_put_back_by_hand_is_reported_until_the_head_is_forgotten(ledger: Path) -> None:
    from app.services.ledger.company import rename_company

    older = ledger.with_name("older.kontor")
    shutil.copy(ledger, older)
    opened = Ledger.open(ledger, PASS)
    try:
        rename_company(opened, "Neu GmbH", actor="anna")
    finally:
        opened.close()
    shutil.copy(older, ledger)
    code, output = verify(ledger)
    assert code == EXIT_BROKEN and "events were removed" in output
    code, output = verify(ledger, "--forget-head")
    assert code == 0 and "First check of this ledger on this computer" in output
    assert verify(ledger)[0] == 0
