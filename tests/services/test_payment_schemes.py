"""SEPA B2B direct debits and SEPA Instant transfers sent through the demo bank with a TAN, as runs of Kontor.

python-fints has no B2B segments; Kontor's own (HKBSE/HKBME in `app.services.fints_segments`) go to the bank,
which checks that the pain.008 says B2B. Instant transfers go as HKIPZ (one) or HKIPM (several).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fints.parser import FinTS3Parser
from test_bank_simulator_support import Clock
from test_fints_support import PhonePrompts, connect, serve
from test_payment_loop import CUSTOMERS, SUPPLIER_IBAN, _approved, _staff

import app.services.fints_segments  # noqa: F401  (registers the B2B segments with the parser)
from app.demobank import DEMO_PIN, Policy
from app.services.banking.fints_client import BankRejectedError
from app.services.banking.send import send_run
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.payments.business_days import next_business_day
from app.services.payments.mandates import add_mandate
from app.services.payments.orders import create_debit, create_transfer
from app.services.payments.runs import run_row

pytest_plugins = ["test_fints_support"]


@pytest.fixture
def clock() -> Clock:
    return Clock(next_business_day(date.today()))


def _b2b_customers(ledger: Ledger, today: date) -> None:
    """The two customers of the payment loop, with B2B mandates (companies, confirmed to their banks)."""
    from app.models.schema import Customer

    with ledger.writer() as session:
        for number, name, iban, _invoice, _amount in CUSTOMERS:
            customer = Customer(number=number, name=name, iban=iban)
            session.add(customer)
            session.flush()
            audit.record_row(session, actor="test", action="create", row=customer)
    for number, _name, iban, _invoice, _amount in CUSTOMERS:
        add_mandate(ledger, customer_number=number, reference=f"B2B-{number}", signed_on=today - timedelta(days=30),
                    iban=iban, scheme="B2B", actor="carla", today=today)  # fmt: skip


@pytest.mark.parametrize("count", [1, 2], ids=["single-HKBSE", "batch-HKBME"])
def test_a_b2b_debit_run_goes_to_the_bank_with_a_tan(ledger: Ledger, clock: Clock, count: int) -> None:
    server = serve(clock=clock)
    try:
        _staff(ledger)
        business = connect(ledger, server, PhonePrompts(server.bank)).accounts[0]
        _b2b_customers(ledger, clock.day)
        orders = [
            create_debit(
                ledger,
                customer_number=number,
                amount=str(amount),
                text=invoice,
                b2b=True,
                account_iban=business,
                actor="carla",
                today=clock.day,
            )  # fmt: skip
            for number, _name, _iban, invoice, amount in CUSTOMERS[:count]
        ]
        run_id = orders[0].run_id
        assert {o.run_id for o in orders} == {run_id}
        _approved(ledger, run_id, clock.day)
        before = server.bank.balance(business)

        prompts = PhonePrompts(server.bank)
        result = send_run(ledger, run_id, pin=DEMO_PIN, prompts=prompts, actor="bob")

        assert result.ok and result.reference.startswith("LS"), result
        [challenge] = prompts.challenges
        assert "Firmenlastschrift" in challenge.text or "Firmen-Sammellastschrift" in challenge.text
        assert run_row(ledger, run_id).status == "sent"
        due = orders[0].execution_on
        clock.advance((due - clock.day).days)
        assert server.bank.balance(business) == before + sum((o.amount for o in orders), Decimal(0))
    finally:
        server.stop()


def test_a_bank_without_b2b_refuses_and_the_run_stays_approved(ledger: Ledger, clock: Clock) -> None:
    server = serve(Policy(offer_b2b=False), clock=clock)
    try:
        _staff(ledger)
        business = connect(ledger, server, PhonePrompts(server.bank)).accounts[0]
        _b2b_customers(ledger, clock.day)
        order = create_debit(ledger, customer_number=CUSTOMERS[0][0], amount="10", text="Test", b2b=True,
                             account_iban=business, actor="carla", today=clock.day)  # fmt: skip
        _approved(ledger, order.run_id, clock.day)
        with pytest.raises(BankRejectedError, match="does not offer") as refused:
            send_run(ledger, order.run_id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor="bob")
        assert run_row(ledger, order.run_id).status == "approved"
        assert "SEPA B2B direct debits" in str(refused.value) and "pain.008 file" in str(refused.value)
    finally:
        server.stop()


@pytest.mark.parametrize("count", [1, 2], ids=["single-HKIPZ", "batch-HKIPM"])
def test_an_instant_transfer_run_goes_to_the_bank_with_a_tan(ledger: Ledger, clock: Clock, count: int) -> None:
    server = serve(clock=clock)
    try:
        _staff(ledger)
        business = connect(ledger, server, PhonePrompts(server.bank)).accounts[0]
        payees = [("Feinwerkzeug Kraus GmbH", SUPPLIER_IBAN, "99,90"), ("Hotel Zur Linde GmbH", CUSTOMERS[0][2], "5")]
        orders = [
            create_transfer(
                ledger,
                name=name,
                iban=iban,
                amount=amount,
                text="Sofort",
                instant=True,
                execution_on=clock.day,
                account_iban=business,
                actor="carla",
                today=clock.day,
            )  # fmt: skip
            for name, iban, amount in payees[:count]
        ]
        run_id = orders[0].run_id
        _approved(ledger, run_id, clock.day)
        before = server.bank.balance(business)

        prompts = PhonePrompts(server.bank)
        assert send_run(ledger, run_id, pin=DEMO_PIN, prompts=prompts, actor="bob").ok
        [challenge] = prompts.challenges
        assert "Echtzeit" in challenge.text
        assert server.bank.balance(business) == before - sum((o.amount for o in orders), Decimal(0))
        assert run_row(ledger, run_id).status == "sent"
    finally:
        server.stop()


def test_a_bank_without_instant_transfers_refuses_before_anything_is_sent(ledger: Ledger, clock: Clock) -> None:
    server = serve(Policy(offer_instant=False), clock=clock)
    try:
        _staff(ledger)
        business = connect(ledger, server, PhonePrompts(server.bank)).accounts[0]
        order = create_transfer(ledger, name="Feinwerkzeug Kraus GmbH", iban=SUPPLIER_IBAN, amount="1", text="Sofort",
                                instant=True, execution_on=clock.day, account_iban=business, actor="carla",
                                today=clock.day)  # fmt: skip
        _approved(ledger, order.run_id, clock.day)
        before = server.bank.balance(business)
        prompts = PhonePrompts(server.bank)
        with pytest.raises(BankRejectedError, match="does not offer SEPA Instant transfers"):
            send_run(ledger, order.run_id, pin=DEMO_PIN, prompts=prompts, actor="bob")
        assert prompts.challenges == [] and server.bank.balance(business) == before
        assert run_row(ledger, order.run_id).status == "approved"
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("bank", "version", "single_booking"), [("dkb", 1, False), ("gls", 1, False), ("gls", 2, False)]
)
def test_real_banks_b2b_parameters_are_read(bank: str, version: int, single_booking: bool) -> None:
    """The B2B parameter segments as DKB and GLS send them (recorded bank parameters) parse into Kontor's classes."""
    recorded = (Path(__file__).resolve().parents[1] / "data" / "fints" / bank / "anonymous.fints").read_bytes()
    for kind in (b"HIBSES", b"HIBMES"):
        found = re.search(kind + b":\\d+:" + str(version).encode() + b":[^']*'", recorded)
        assert found is not None
        [segment] = FinTS3Parser().parse_message(found.group(0)).segments
        assert type(segment).__name__ == f"{kind.decode()}{version}"
        if kind == b"HIBMES":
            assert segment.parameter.single_booking_allowed is False  # neither bank books B2B batches singly
            assert segment.parameter.max_debit_count == (1000 if bank == "dkb" else 500)
