"""Moving orders between runs and splitting a run by date or own account; every change voids approvals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from test_payments_support import HUBER_AT, KUNDE, TODAY, WEBER, opened_ledger, signed_in

from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.payments.approvals import approval_summary, approve_run
from app.services.payments.mandates import add_mandate
from app.services.payments.orders import create_debit, create_transfer, move_orders
from app.services.payments.runs import export_run, run_orders, run_row, submit_run
from app.services.payments.sepa_checks import PaymentError

LATER = date(2026, 3, 9)  # a Monday a week after TODAY


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with opened_ledger(tmp_path / "firma.kontor") as opened:
        yield opened


def _transfer(ledger: Ledger, name: str, iban: str, amount: str, day: date = TODAY) -> int:
    return create_transfer(ledger, name=name, iban=iban, amount=amount, text="Test", execution_on=day, actor="anna",
                           today=TODAY).order_id  # fmt: skip


def test_an_order_split_off_to_a_later_date_leaves_both_runs_unapproved(ledger: Ledger) -> None:
    weber, huber = _transfer(ledger, "Weber", WEBER, "100"), _transfer(ledger, "Huber", HUBER_AT, "200")
    run_id = run_row(ledger, 1).id
    submit_run(ledger, run_id, actor="anna", today=TODAY)
    assert approve_run(ledger, run_id, approver=signed_in(ledger, "bob")).approved
    assert run_row(ledger, run_id).status == "approved"

    new_run = move_orders(ledger, [huber], execution_on=LATER, actor="anna", today=TODAY)

    assert new_run != run_id
    assert [o.id for o in run_orders(ledger, run_id)] == [weber]
    assert [o.id for o in run_orders(ledger, new_run)] == [huber]
    assert (run_row(ledger, run_id).status, run_row(ledger, new_run).status) == ("submitted", "draft")
    assert run_row(ledger, new_run).execution_on == LATER
    assert approval_summary(ledger, run_id, today=TODAY).approved_by == ()  # the old approval covered Huber too
    with pytest.raises(PaymentError):
        export_run(ledger, run_id, Path("/nonexistent/run.xml"), actor="bob")
    with ledger.session() as session:
        assert audit.verify(session).ok


def test_orders_move_into_another_open_run_of_the_same_kind(ledger: Ledger) -> None:
    first = _transfer(ledger, "Weber", WEBER, "100")
    second = _transfer(ledger, "Huber", HUBER_AT, "200", day=LATER)
    target = run_row(ledger, 2).id
    assert move_orders(ledger, [first], to_run_id=target, actor="anna", today=TODAY) == target
    assert sorted(o.id for o in run_orders(ledger, target)) == [first, second]
    with pytest.raises(PaymentError, match="in run 2 already"):
        move_orders(ledger, [first], to_run_id=target, actor="anna", today=TODAY)


def test_a_transfer_does_not_move_into_a_debit_run_nor_to_a_past_day(ledger: Ledger) -> None:
    add_mandate(ledger, customer_number="K-200", reference="M-200", signed_on=date(2026, 1, 2), iban=KUNDE,
                actor="anna", today=TODAY)  # fmt: skip
    debit = create_debit(ledger, customer_number="K-200", amount="25", text="Beitrag", actor="anna", today=TODAY)
    transfer = _transfer(ledger, "Weber", WEBER, "100")
    with pytest.raises(PaymentError, match="holds other payments"):
        move_orders(ledger, [transfer], to_run_id=debit.run_id, actor="anna", today=TODAY)
    with pytest.raises(PaymentError, match="has passed"):
        move_orders(ledger, [transfer], execution_on=date(2026, 2, 27), actor="anna", today=TODAY)
    with pytest.raises(PaymentError, match="too early"):  # a debit keeps its lead time
        move_orders(ledger, [debit.order_id], execution_on=TODAY, actor="anna", today=TODAY)


def test_a_sent_run_keeps_its_orders(ledger: Ledger, tmp_path: Path) -> None:
    order = _transfer(ledger, "Weber", WEBER, "100")
    run_id = run_row(ledger, 1).id
    submit_run(ledger, run_id, actor="anna", today=TODAY)
    assert approve_run(ledger, run_id, approver=signed_in(ledger, "bob")).approved
    export_run(ledger, run_id, tmp_path / "run.xml", actor="bob")
    with pytest.raises(PaymentError, match="can no longer be changed"):
        move_orders(ledger, [order], execution_on=LATER, actor="anna", today=TODAY)
    assert [o.id for o in run_orders(ledger, run_id)] == [order]
