"""The hash-chained audit log notices edits made behind Kontor's back."""

from __future__ import annotations

import hashlib
import socket
from datetime import date
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import select, text

from app.models.schema import AuditEvent, Customer, Invoice
from app.services.demo.data import create_demo_ledger
from app.services.ledger import audit
from app.services.ledger.database import Ledger

pytestmark = pytest.mark.both_ledgers


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = new_ledger(tmp_path / "a.kontor", "pw", company_name="Audit GmbH")
    yield ledger
    ledger.close()


def _invoice(ledger: Ledger) -> int:
    with ledger.session() as session, session.begin():
        customer = Customer(number="K1", name="Müller GmbH")
        session.add(customer)
        session.flush()
        audit.record_row(session, actor="anna", action="create", row=customer)
        invoice = Invoice(number="RE-1", customer_id=customer.id, issued_on=date(2026, 1, 5), amount_cents=119000)
        session.add(invoice)
        session.flush()
        audit.record_row(session, actor="anna", action="create", row=invoice, summary="RE-1")
        return invoice.id


def test_intact_chain_verifies(ledger: Ledger) -> None:
    _invoice(ledger)
    with ledger.session() as session:
        report = audit.verify(session)
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert report.ok and report.events == 3
    assert events[0].prev_hash == audit.GENESIS and events[0].entity == "company_settings"  # Ledger.create's row
    assert events[1].prev_hash == events[0].chain_hash
    assert events[2].actor == "anna" and events[2].entity == "invoices"
    assert report.head == audit.Head(3, events[2].id, events[2].chain_hash)


def test_editing_money_with_raw_sql_is_reported(ledger: Ledger) -> None:
    invoice_id = _invoice(ledger)
    with ledger.engine.begin() as conn:
        conn.execute(text("UPDATE invoices SET amount_cents = 1 WHERE id = :id"), {"id": invoice_id})
    with ledger.session() as session:
        report = audit.verify(session)
    assert not report.ok
    assert report.broken_event_id == 3
    assert f"invoice {invoice_id} was changed outside Kontor after audit event 3" in report.problem


def test_editing_an_event_breaks_the_chain_at_that_event(ledger: Ledger) -> None:
    _invoice(ledger)
    with ledger.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE id = 1"))
    with ledger.session() as session:
        report = audit.verify(session)
    assert report.broken_event_id == 1
    assert "altered or removed" in report.problem


def test_deleting_an_event_is_noticed(ledger: Ledger) -> None:
    _invoice(ledger)
    with ledger.session() as session, session.begin():
        customer = Customer(number="K2", name="Schmidt KG")
        session.add(customer)
        audit.record_row(session, actor="anna", action="create", row=customer)
    with ledger.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = 2"))
    with ledger.session() as session:
        report = audit.verify(session)
    assert report.broken_event_id == 3


def test_imported_transactions_are_covered_by_their_import_event(ledger: Ledger) -> None:
    create_demo_ledger(ledger, actor="demo", today=date(2026, 11, 1))
    with ledger.session() as session:
        assert audit.verify(session).ok
    with ledger.engine.begin() as conn:
        conn.execute(text("UPDATE transactions SET amount_cents = amount_cents + 100 WHERE id = 17"))
    with ledger.session() as session:
        report = audit.verify(session)
    assert not report.ok and "statement import 1 was changed outside Kontor" in report.problem


def test_digest_is_canonical() -> None:
    assert audit.digest({"b": 1, "a": date(2026, 1, 2)}) == audit.digest({"a": "2026-01-02", "b": 1})


def test_a_server_event_names_its_workstation_and_the_chain_covers_it(ledger: Ledger, ledger_backend: str) -> None:
    _invoice(ledger)
    with ledger.session() as session, session.begin():
        audit.record_many(session, actor="bob", events=[audit.EventSpec("note", "customers", None, {"n": 1})])
    with ledger.session() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    expected = socket.gethostname() if ledger_backend == "server" else ""  # a file has one workstation
    assert [event.workstation for event in events] == [expected] * 4
    for event in events:
        if not event.workstation:  # the hash as every Kontor before schema 0009 wrote it: old events verify unchanged
            entity_id = "" if event.entity_id is None else str(event.entity_id)
            fields = [event.prev_hash, event.at.isoformat(), event.actor, event.action, event.entity, entity_id,
                      event.summary, event.data_digest]  # fmt: skip
            assert event.chain_hash == hashlib.sha256("\x1f".join(fields).encode()).hexdigest()
    with ledger.engine.begin() as conn:  # claiming another workstation breaks the chain there
        conn.execute(text("UPDATE audit_events SET workstation = 'anderer-pc' WHERE id = 2"))
    with ledger.session() as session:
        report = audit.verify(session)
    assert report.broken_event_id == 2 and "altered or removed" in report.problem
