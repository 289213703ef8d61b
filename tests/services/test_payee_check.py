"""Verification of Payee against the demo bank: every outcome reaches the approver, nothing goes out unconfirmed."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from test_bank_simulator_support import Clock
from test_fints_support import PhonePrompts, connect, serve
from test_payment_loop import PASSWORDS, SUPPLIER_IBAN, _approved, _payable, _staff

from app.cli import main
from app.demobank import DEMO_PIN, DemoBankServer, Policy
from app.demobank.payee_check import NOTICE, result_for
from app.models.schema import AuditEvent, Customer
from app.services.banking.fints_client import PayeeNotConfirmed
from app.services.banking.send import send_run
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.users import sign_in
from app.services.payments.approvals import approval_summary, approve_run
from app.services.payments.business_days import next_business_day
from app.services.payments.orders import create_transfer, take_bank_name, transfer_from_invoice
from app.services.payments.runs import run_orders, run_row
from app.services.payments.sepa_checks import PaymentError

pytest_plugins = ["test_fints_support"]

SUPPLIER = "Feinwerkzeug Kraus GmbH"  # as the invoice export names the supplier


@pytest.fixture
def clock() -> Clock:
    return Clock(next_business_day(date.today()))


def vop_bank(clock: Clock, holder: str | None, *, always: bool = False) -> DemoBankServer:
    register = ((SUPPLIER_IBAN, holder),) if holder is not None else ()
    return serve(Policy(vop=True, vop_register=register, vop_confirm_always=always), clock=clock)


def _run_to_send(
    ledger: Ledger, server: DemoBankServer, clock: Clock, tmp_path: Path, *, mechanism: str = "942"
) -> tuple[int, str]:
    _staff(ledger)
    summary = connect(ledger, server, PhonePrompts(server.bank, mechanism=mechanism))
    business = summary.accounts[0]
    _payable(ledger, tmp_path, clock.day)
    order = transfer_from_invoice(ledger, "ER-7781", actor="carla", execution_on=clock.day, account_iban=business)
    _approved(ledger, order.run_id, clock.day)
    return order.run_id, business


def _payee_events(ledger: Ledger) -> list[tuple[str, int | None, str]]:
    """The audit log's payee decisions (action, run, summary); the chain still verifies."""
    with ledger.session() as session:
        assert audit.verify(session).ok
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action.like("payee_%")).order_by(AuditEvent.id))
        return [(row.action, row.entity_id, row.summary) for row in rows]


def test_the_bank_compares_names_as_banks_do() -> None:
    assert result_for(SUPPLIER, SUPPLIER) == "RCVC"
    assert result_for("Feinwerkzeug Kraus G.m.b.H.", SUPPLIER) == "RVMC"  # legal form written differently
    assert result_for("Bäckerei Weber", "Baeckerei Weber") == "RVMC"  # umlaut transliterated
    assert result_for("Kraus Feinwerkzeug", SUPPLIER) == "RVMC"  # word order
    assert result_for("Müller Logistik AG", SUPPLIER) == "RVNM"
    assert result_for(SUPPLIER, None) == "RVNA"


def test_a_full_match_goes_straight_to_the_tan(ledger: Ledger, clock: Clock, tmp_path: Path) -> None:
    server = vop_bank(clock, SUPPLIER)
    try:
        run_id, business = _run_to_send(ledger, server, clock, tmp_path)
        prompts = PhonePrompts(server.bank)
        result = send_run(ledger, run_id, pin=DEMO_PIN, prompts=prompts, actor="bob")
        assert result.ok and run_row(ledger, run_id).status == "sent"
        assert prompts.payee_checks == [] and len(prompts.challenges) == 1  # no question, one TAN
        [check] = server.bank.payee_checks.values()
        assert (check.iban, check.result) == (SUPPLIER_IBAN, "RCVC")
        assert any(b.counterparty_iban == SUPPLIER_IBAN for b in server.bank.bookings(business))
        assert _payee_events(ledger) == []
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("holder", "always", "expected"),
    [
        pytest.param("Feinwerkzeug Kraus G.m.b.H.", False, "RVMC", id="close-match"),
        pytest.param("Kraus & Partner Werkzeughandel OHG", False, "RVNM", id="no-match"),
        pytest.param(None, False, "RVNA", id="not-possible"),
        pytest.param(SUPPLIER, True, "RCVC", id="match-but-bank-wants-confirmation"),
    ],
)
def test_a_questioned_payee_is_sent_only_when_the_approver_confirms(
    ledger: Ledger, clock: Clock, tmp_path: Path, holder: str | None, always: bool, expected: str
) -> None:
    server = vop_bank(clock, holder, always=always)
    try:
        run_id, business = _run_to_send(ledger, server, clock, tmp_path)
        before = server.bank.balance(business)

        stopping = PhonePrompts(server.bank, send_anyway=False)
        with pytest.raises(PayeeNotConfirmed):
            send_run(ledger, run_id, pin=DEMO_PIN, prompts=stopping, actor="bob")
        [asked] = stopping.payee_checks
        assert (asked.result, asked.iban) == (expected, SUPPLIER_IBAN)
        assert asked.notice == ("" if expected == "RCVC" else NOTICE)  # the bank's liability notice, verbatim
        if expected == "RVMC":
            assert asked.close_match_name == holder and holder in asked.summary()
        if expected == "RVNA":
            assert asked.reason
        assert stopping.challenges == []  # no TAN was asked for: nothing authorised
        assert run_row(ledger, run_id).status == "approved"
        assert server.bank.balance(business) == before
        assert not any(c.confirmed for c in server.bank.payee_checks.values())

        sending = PhonePrompts(server.bank, send_anyway=True)
        result = send_run(ledger, run_id, pin=DEMO_PIN, prompts=sending, actor="bob")
        assert result.ok and run_row(ledger, run_id).status == "sent"
        assert [c.result for c in sending.payee_checks] == [expected] and len(sending.challenges) == 1
        assert server.bank.balance(business) < before
        assert [c.confirmed for c in server.bank.payee_checks.values()] == [False, True]
        assert _payee_events(ledger) == [
            ("payee_declined", run_id, f"run {run_id}: payee check {expected} for {SUPPLIER_IBAN}, stopped"),
            ("payee_confirmed", run_id, f"run {run_id}: payee check {expected} for {SUPPLIER_IBAN}, sent anyway"),
        ]
    finally:
        server.stop()


def test_kontor_run_send_shows_the_check_and_sends_only_on_yes(
    ledger: Ledger, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = Policy(vop=True, vop_register=((SUPPLIER_IBAN, "Kraus & Partner Werkzeughandel OHG"),), decoupled_polls=0)
    server = serve(policy, clock=clock)
    try:
        run_id, _business = _run_to_send(ledger, server, clock, tmp_path, mechanism="946")  # app approval, no TAN
        for name, value in {"KONTOR_PASSPHRASE": "pw", "KONTOR_PIN": DEMO_PIN, "KONTOR_USER": "bob",
                            "KONTOR_USER_PASSWORD": PASSWORDS["bob"]}.items():  # fmt: skip
            monkeypatch.setenv(name, value)

        def send(answer: str) -> tuple[int, str, str]:
            monkeypatch.setattr("sys.stdin", io.StringIO(answer))
            code = main(["--ledger", str(ledger.path), "run", "send", str(run_id)])
            out, err = capsys.readouterr()
            return code, out, err

        code, out, err = send("nein\n")
        assert code == 1 and "sent to the bank" not in out
        assert "does not match the account holder" in err and NOTICE in err and "Not sent" in err
        assert run_row(ledger, run_id).status == "approved"
        assert main(["--ledger", str(ledger.path), "run", "show", str(run_id)]) == 0
        shown = capsys.readouterr().out
        assert "Payee check: The payee's name does not match the account holder's name" in shown
        assert "bob stopped it." in shown
        code = main(["--ledger", str(ledger.path), "pay", "use-bank-name", str(run_orders(ledger, run_id)[0].id)])
        assert code == 1 and "named no other account holder" in capsys.readouterr().err  # no match: no name

        code, out, err = send("yes\n")
        assert code == 0, err
        assert f"Run {run_id} sent to the bank" in out and run_row(ledger, run_id).status == "sent"
        assert [c.confirmed for c in server.bank.payee_checks.values()] == [False, True]
        assert DEMO_PIN not in out + err
    finally:
        server.stop()


def test_an_asynchronous_check_is_polled_until_the_bank_has_its_result(
    ledger: Ledger, clock: Clock, tmp_path: Path
) -> None:
    """Atruvia: HIVPP with only a polling ID, 3040, 3905 and 3945; Kontor asks again until the result is there."""
    policy = Policy(vop=True, vop_register=((SUPPLIER_IBAN, "Feinwerkzeug Kraus G.m.b.H."),), vop_pending_polls=2)
    server = serve(policy, clock=clock)
    try:
        run_id, business = _run_to_send(ledger, server, clock, tmp_path)
        before = server.bank.balance(business)
        stopping = PhonePrompts(server.bank, send_anyway=False)
        with pytest.raises(PayeeNotConfirmed):
            send_run(ledger, run_id, pin=DEMO_PIN, prompts=stopping, actor="bob")
        [asked] = stopping.payee_checks
        assert (asked.result, asked.close_match_name) == ("RVMC", "Feinwerkzeug Kraus G.m.b.H.")
        assert server.bank.pending_payee_checks == {}  # both polls were made
        assert run_row(ledger, run_id).status == "approved" and server.bank.balance(business) == before
        [order] = run_orders(ledger, run_id)
        assert order.payee_check == "RVMC" and "bob stopped it" in order.payee_check_text

        sending = PhonePrompts(server.bank, send_anyway=True)
        assert send_run(ledger, run_id, pin=DEMO_PIN, prompts=sending, actor="bob").ok
        assert run_row(ledger, run_id).status == "sent" and server.bank.balance(business) < before
        assert "bob sent it anyway" in run_orders(ledger, run_id)[0].payee_check_text
    finally:
        server.stop()


def test_a_full_match_that_came_by_polling_is_confirmed_once_then_sent(
    ledger: Ledger, clock: Clock, tmp_path: Path
) -> None:
    server = serve(Policy(vop=True, vop_register=((SUPPLIER_IBAN, SUPPLIER),), vop_pending_polls=1), clock=clock)
    try:
        run_id, _business = _run_to_send(ledger, server, clock, tmp_path)
        prompts = PhonePrompts(server.bank, send_anyway=True)
        assert send_run(ledger, run_id, pin=DEMO_PIN, prompts=prompts, actor="bob").ok
        assert [c.result for c in prompts.payee_checks] == ["RCVC"] and len(prompts.challenges) == 1
        assert [c.confirmed for c in server.bank.payee_checks.values()] == [True]
    finally:
        server.stop()


OTHER_IBAN = "DE12500105170648489890"


def _collective_run(ledger: Ledger, server: DemoBankServer, clock: Clock, tmp_path: Path) -> tuple[int, str]:
    """Two transfers in one run: the supplier's invoice, and a second payee."""
    _staff(ledger)
    business = connect(ledger, server, PhonePrompts(server.bank)).accounts[0]
    _payable(ledger, tmp_path, clock.day)
    first = transfer_from_invoice(ledger, "ER-7781", actor="carla", execution_on=clock.day, account_iban=business)
    create_transfer(ledger, name="Hotel Zur Linde", iban=OTHER_IBAN, amount="120,00", text="Tagung",
                    execution_on=clock.day, account_iban=business, actor="carla", today=clock.day)  # fmt: skip
    _approved(ledger, first.run_id, clock.day)
    return first.run_id, business


def test_a_collective_transfer_gets_the_result_of_each_payee(ledger: Ledger, clock: Clock, tmp_path: Path) -> None:
    register = ((SUPPLIER_IBAN, SUPPLIER), (OTHER_IBAN, "Hotel Zur Linde GmbH & Co. KG"))
    server = serve(Policy(vop=True, vop_register=register), clock=clock)
    try:
        run_id, business = _collective_run(ledger, server, clock, tmp_path)
        before = server.bank.balance(business)
        stopping = PhonePrompts(server.bank, send_anyway=False)
        with pytest.raises(PayeeNotConfirmed):
            send_run(ledger, run_id, pin=DEMO_PIN, prompts=stopping, actor="bob")
        [asked] = stopping.payee_checks  # only the questioned one of the two
        assert (asked.result, asked.iban, asked.close_match_name) == (
            "RVMC",
            OTHER_IBAN,
            "Hotel Zur Linde GmbH & Co. KG",
        )
        orders = {order.iban: order for order in run_orders(ledger, run_id)}
        assert asked.end_to_end_id == orders[OTHER_IBAN].end_to_end_id
        assert (orders[SUPPLIER_IBAN].payee_check, orders[OTHER_IBAN].payee_check) == ("RCVC", "RVMC")
        assert run_row(ledger, run_id).status == "approved"

        sending = PhonePrompts(server.bank, send_anyway=True)
        assert send_run(ledger, run_id, pin=DEMO_PIN, prompts=sending, actor="bob").ok
        assert before - server.bank.balance(business) == Decimal("2345.67") + Decimal("120.00")
    finally:
        server.stop()


def test_the_bank_s_name_is_taken_over_and_the_run_needs_a_new_approval(
    ledger: Ledger, clock: Clock, tmp_path: Path
) -> None:
    server = vop_bank(clock, "Feinwerkzeug Kraus G.m.b.H.")
    try:
        run_id, _business = _run_to_send(ledger, server, clock, tmp_path)
        with pytest.raises(PayeeNotConfirmed):
            send_run(ledger, run_id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor="bob")
        [order] = run_orders(ledger, run_id)
        assert take_bank_name(ledger, order.id, actor="bob") == "Feinwerkzeug Kraus G.m.b.H."
        assert run_orders(ledger, run_id)[0].name == "Feinwerkzeug Kraus G.m.b.H."
        assert run_row(ledger, run_id).status == "submitted"  # the approval covered the old name
        with ledger.session() as session:
            supplier = session.scalars(select(Customer).where(Customer.iban == SUPPLIER_IBAN)).one()
            assert supplier.name == "Feinwerkzeug Kraus G.m.b.H."
            assert audit.verify(session).ok
        _approved_again(ledger, run_id, clock)
        prompts = PhonePrompts(server.bank)
        assert send_run(ledger, run_id, pin=DEMO_PIN, prompts=prompts, actor="bob").ok
        assert prompts.payee_checks == []  # now a full match: no question
        with pytest.raises(PaymentError, match="named no other account holder"):
            take_bank_name(ledger, order.id, actor="bob")
    finally:
        server.stop()


def _approved_again(ledger: Ledger, run_id: int, clock: Clock) -> None:
    digest = approval_summary(ledger, run_id, today=clock.day).digest
    assert approve_run(ledger, run_id, approver=sign_in(ledger, "bob", PASSWORDS["bob"]), seen_digest=digest).approved
