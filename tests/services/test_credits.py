"""A double payment: Map's "already paid" fact, the customer's credit and its use, and a refund for approval."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from statement_files import Booking
from test_reconciliation import MUELLER, Scenario, scenario  # noqa: F401  (the fixture)

from app.models.schema import BankAccount, CustomerCredit, Transaction
from app.services.ledger import audit
from app.services.ledger.users import add_user
from app.services.payments.refunds import refund_payment
from app.services.payments.runs import list_runs, run_orders
from app.services.reconciliation.allocations import undo_allocation
from app.services.reconciliation.booking import ReconciliationError
from app.services.reconciliation.credits import paid_references, record_credit, use_credit
from app.services.reconciliation.draft import payment_to_map


def _latest(s: Scenario) -> int:
    """The payment just imported (the scenario keys payments by name, and Müller paid before)."""
    with s.ledger.session() as session:
        return int(session.scalar(select(func.max(Transaction.id))))


TWICE = Booking(date(2026, 3, 16), Decimal("1190.00"), "Müller Metallbau GmbH", MUELLER, "RE-2026-0042 nochmal")


def test_map_learns_that_the_named_invoice_is_paid_already(scenario: Scenario) -> None:  # noqa: F811
    s = scenario
    s.statement("twice.sta", [TWICE])
    again = _latest(s)
    [paid] = paid_references(s.ledger, again)
    assert (paid.number, paid.customer_name) == ("RE-2026-0042", "Müller Metallbau GmbH")
    assert (
        paid.text()
        == "RE-2026-0042 of Müller Metallbau GmbH is already paid: €1,190.00 by Mueller Metallbau GmbH on 2026-03-10."
    )
    assert paid_references(s.ledger, s.tx["Schmidt und Soehne"]) == []  # its invoice was paid by this very payment


def test_a_double_payment_is_held_as_credit_and_settles_a_later_invoice(scenario: Scenario) -> None:  # noqa: F811
    s = scenario
    s.statement("twice.sta", [TWICE])
    again = _latest(s)
    [paid] = paid_references(s.ledger, again)
    assert record_credit(s.ledger, again, paid.customer_id, actor="anna") == Decimal("1190.00")
    assert payment_to_map(s.ledger, again).reconciliation == "matched"
    shown = payment_to_map(s.ledger, again)
    assert (shown.credit, shown.credit_customer, shown.unallocated) == (Decimal("1190.00"), "Müller Metallbau GmbH", 0)
    with pytest.raises(ReconciliationError, match="Nothing of this payment is left"):
        record_credit(s.ledger, again, paid.customer_id, actor="anna")

    later = s.row("RE-2026-0043")  # Schmidt's, not Müller's: no credit for it
    assert later.customer_credit == 0
    (s.tmp / "more.csv").write_text(
        "Rechnungsnummer;Kunde;Kundennummer;Rechnungsdatum;Fällig am;Betrag brutto\n"
        "RE-2026-0080;Müller Metallbau GmbH;K10001;16.03.2026;30.03.2026;500,00\n",
        encoding="utf-8",
    )
    from app.services.invoices.importing import import_invoices

    import_invoices(s.ledger, s.tmp / "more.csv", actor="anna")
    assert s.row("RE-2026-0080").customer_credit == Decimal("1190.00")
    assert use_credit(s.ledger, s.row("RE-2026-0080").id, actor="anna") == Decimal("500.00")
    assert (s.row("RE-2026-0080").status, s.row("RE-2026-0080").customer_credit) == ("paid", Decimal("690.00"))
    assert payment_to_map(s.ledger, again).unallocated == 0  # 500 allocated + 690 still held
    with s.ledger.session() as session:
        assert audit.verify(session).ok

    undo_allocation(s.ledger, transaction_id=again, actor="anna")  # everything on the payment goes back
    assert s.row("RE-2026-0080").status == "open"
    with s.ledger.session() as session:
        assert session.scalars(select(CustomerCredit)).all() == []
    assert payment_to_map(s.ledger, again).unallocated == Decimal("1190.00")


def test_a_double_payment_is_refunded_as_a_transfer_to_approve(scenario: Scenario) -> None:  # noqa: F811
    s = scenario
    with s.ledger.writer() as session:
        add_user(session, name="anna", role="admin", password="anna-geheim-1", by=None)
        assert session.scalars(select(BankAccount)).first() is not None
    s.statement("twice.sta", [TWICE])
    again = _latest(s)
    order = refund_payment(s.ledger, again, actor="anna", today=date(2026, 3, 17))
    [run] = list_runs(s.ledger)
    [sent_back] = run_orders(s.ledger, run.id)
    assert (sent_back.iban, sent_back.amount, run.status) == (MUELLER, Decimal("1190.00"), "draft")
    assert sent_back.remittance.startswith("Refund of your payment of 16.03.2026")
    shown = payment_to_map(s.ledger, again)
    assert shown.reconciliation == "ignored" and f"order {order.order_id}" in shown.note
