"""The whole payment loop over loopback FinTS: invoice → run → approval → send with TAN → bank → sync → booked."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fints.connection import FinTSConnectionError
from sqlalchemy import select
from test_bank_simulator_support import Clock
from test_fints_support import ACTOR, PhonePrompts, connect

from app.demobank import DEMO_PIN, DemoBank, DemoBankServer
from app.models.schema import BankConnection, Customer, Invoice, Notification, Transaction
from app.services.banking.connections import ConnectionSummary, sync
from app.services.banking.fints_client import BankRejectedError, Cancelled, KontorFinTSClient, WrongTanError
from app.services.banking.send import connection_for_run, send_run
from app.services.invoices.importing import import_invoices
from app.services.invoices.open_items import InvoiceFilter, invoice_rows
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.users import SignedInUser, add_user, sign_in
from app.services.payments.approvals import approval_summary, approve_run
from app.services.payments.business_days import next_business_day
from app.services.payments.mandates import add_mandate
from app.services.payments.orders import debits_from_open_receivables, transfer_from_invoice
from app.services.payments.runs import after_statement_import, run_orders, run_row, submit_run
from app.services.payments.sepa_checks import PaymentError
from app.services.payments.settings import set_creditor_id

pytest_plugins = ["test_fints_support"]  # fixtures: ledger, clock, server

SUPPLIER_IBAN = "DE44500105175407324931"
CUSTOMERS = [  # number, name, IBAN, invoice, amount
    ("K-301", "Hotel Zur Linde GmbH", "DE12500105170648489890", "RE-2026-0301", Decimal("1234.56")),
    ("K-302", "Praxis Dr. Sommer", "DE89370400440532013000", "RE-2026-0302", Decimal("789.10")),
]
PASSWORDS = {"carla": "carla-geheim-1", "bob": "bob-geheim-12", "dora": "dora-geheim-123"}


@pytest.fixture
def clock() -> Clock:
    """The bank's day is the ledger's: `transfer_from_invoice` dates runs from the real today."""
    return Clock(next_business_day(date.today()))


def _staff(ledger: Ledger) -> None:
    """Dora is the admin; Carla books payments and may approve; Bob approves; the company may collect debits."""
    with ledger.writer() as session:
        dora = add_user(session, name="dora", role="admin", password=PASSWORDS["dora"], by=None)
        session.flush()
        admin = SignedInUser(dora.id, dora.name, dora.role)
        add_user(session, name="carla", role="approver", password=PASSWORDS["carla"], by=admin)
        add_user(session, name="bob", role="approver", password=PASSWORDS["bob"], by=admin)
    set_creditor_id(ledger, "DE98ZZZ09999999999", actor="dora")


def _payable(ledger: Ledger, tmp_path: Path, today: date) -> None:
    """A supplier's invoice as it comes from the accounting export."""
    csv = tmp_path / "eingang.csv"
    csv.write_text(
        "Rechnungsnummer;Lieferant;IBAN;Rechnungsdatum;Fällig am;Betrag\n"
        f"ER-7781;Feinwerkzeug Kraus GmbH;{SUPPLIER_IBAN};{today - timedelta(days=10):%d.%m.%Y};"
        f"{today + timedelta(days=4):%d.%m.%Y};2.345,67\n",
        encoding="utf-8",
    )
    result = import_invoices(ledger, csv, kind="payable", actor="carla")
    assert result.new == 1


def _approved(ledger: Ledger, run_id: int, today: date) -> None:
    """Carla submits; as the run's creator she may not approve it, Bob does."""
    submit_run(ledger, run_id, actor="carla", today=today)
    digest = approval_summary(ledger, run_id, today=today).digest
    with pytest.raises(PaymentError, match="cannot approve"):
        approve_run(ledger, run_id, approver=sign_in(ledger, "carla", PASSWORDS["carla"]), seen_digest=digest)
    assert approve_run(ledger, run_id, approver=sign_in(ledger, "bob", PASSWORDS["bob"]), seen_digest=digest).approved


def _sync(ledger: Ledger, summary: ConnectionSummary, server: DemoBankServer, clock: Clock) -> int:
    """A sync as the app runs it, with the payment hook; returns the number of returns imported."""
    result = sync(
        ledger,
        summary.id,
        pin=DEMO_PIN,
        prompts=PhonePrompts(server.bank),
        actor=ACTOR,
        after_import=after_statement_import(ACTOR),
        today=clock,
    )
    return sum(account.returns for account in result.accounts)


def _open_amounts(ledger: Ledger, kind: str, today: date) -> dict[str, Decimal]:
    return {row.number: row.open_amount for row in invoice_rows(ledger, InvoiceFilter(kind=kind), today=today)}


def _audit_intact(ledger: Ledger) -> None:
    with ledger.session() as session:
        assert audit.verify(session).ok


def test_payable_invoice_is_paid_through_the_bank_and_booked(
    ledger: Ledger, server: DemoBankServer, clock: Clock, tmp_path: Path
) -> None:
    _staff(ledger)
    summary = connect(ledger, server, PhonePrompts(server.bank))
    business = summary.accounts[0]
    _payable(ledger, tmp_path, clock.day)
    order = transfer_from_invoice(ledger, "ER-7781", actor="carla", execution_on=clock.day, account_iban=business)
    assert order.amount == Decimal("2345.67")
    _approved(ledger, order.run_id, clock.day)
    before = server.bank.balance(business)
    with ledger.session() as session:
        state_before = session.get(BankConnection, summary.id).client_state  # type: ignore[union-attr]

    prompts = PhonePrompts(server.bank)
    result = send_run(ledger, order.run_id, pin=DEMO_PIN, prompts=prompts, actor="bob")

    assert result.ok and result.reference, result
    [challenge] = prompts.challenges
    assert "Überweisung an Feinwerkzeug Kraus GmbH" in challenge.text and "2.345,67" in challenge.text
    assert challenge.signs == f"Transfer, 1 order, €2,345.67 (run {order.run_id})"  # Kontor's words beside the bank's
    assert server.bank.balance(business) == before - Decimal("2345.67")
    [booking] = [b for b in server.bank.bookings(business) if b.end_to_end_id == order.end_to_end_id]
    assert (booking.amount, booking.counterparty_iban) == (Decimal("-2345.67"), SUPPLIER_IBAN)
    row = run_row(ledger, order.run_id)
    assert (row.status, row.sent_via) == ("sent", "fints")
    with ledger.session() as session:
        assert session.get(BankConnection, summary.id).client_state  # type: ignore[union-attr]
        assert state_before

    _sync(ledger, summary, server, clock)
    assert run_row(ledger, order.run_id).status == "booked"
    [sent] = run_orders(ledger, order.run_id)
    assert sent.booked
    assert _open_amounts(ledger, "payable", clock.day) == {"ER-7781": Decimal("0.00")}
    _audit_intact(ledger)


def _customers_with_mandates(ledger: Ledger, today: date) -> None:
    """Two customers who signed mandates, each with an invoice due today."""
    with ledger.writer() as session:
        for number, name, iban, invoice, amount in CUSTOMERS:
            customer = Customer(number=number, name=name, iban=iban)
            session.add(customer)
            session.flush()
            audit.record_row(session, actor=ACTOR, action="create", row=customer)
            receivable = Invoice(
                number=invoice,
                kind="receivable",
                customer_id=customer.id,
                issued_on=today - timedelta(days=14),
                due_on=today,
                amount_cents=int(amount * 100),
            )
            session.add(receivable)
            session.flush()
            audit.record_row(session, actor=ACTOR, action="create", row=receivable)
    for number, _name, iban, _invoice, _amount in CUSTOMERS:
        add_mandate(
            ledger,
            customer_number=number,
            reference=f"MANDAT-{number}",
            signed_on=today - timedelta(days=60),
            iban=iban,
            actor="carla",
            today=today,
        )


def test_direct_debits_are_collected_on_the_due_date_and_a_return_reopens_the_invoice(
    ledger: Ledger, server: DemoBankServer, clock: Clock
) -> None:
    _staff(ledger)
    summary = connect(ledger, server, PhonePrompts(server.bank))
    business = summary.accounts[0]
    _customers_with_mandates(ledger, clock.day)
    debits = debits_from_open_receivables(ledger, actor="carla", account_iban=business, today=clock.day)
    assert len(debits) == 2 and len({d.run_id for d in debits}) == 1
    run_id, due = debits[0].run_id, debits[0].execution_on
    assert due > clock.day
    _approved(ledger, run_id, clock.day)
    before = server.bank.balance(business)

    prompts = PhonePrompts(server.bank)
    result = send_run(ledger, run_id, pin=DEMO_PIN, prompts=prompts, actor="bob")
    assert result.ok and result.reference.startswith("LS"), result
    assert "Sammellastschrift, 2 Posten, Summe 2.023,66 EUR" in prompts.challenges[0].text
    assert prompts.challenges[0].signs == f"Direct debit, 2 orders, €2,023.66 (run {run_id})"
    assert server.bank.balance(business) == before  # nothing before the due date
    assert run_row(ledger, run_id).status == "sent"

    clock.advance((due - clock.day).days)
    assert server.bank.balance(business) == before + Decimal("2023.66")
    _sync(ledger, summary, server, clock)
    assert run_row(ledger, run_id).status == "booked"
    assert all(order.booked for order in run_orders(ledger, run_id))
    assert _open_amounts(ledger, "receivable", clock.day) == {"RE-2026-0301": 0, "RE-2026-0302": 0}

    hotel = next(d for d in debits if d.amount == Decimal("1234.56"))
    server.bank.return_debit(hotel.end_to_end_id, reason="MD06", after_days=2)
    clock.advance(2)
    assert _sync(ledger, summary, server, clock) == 1
    with ledger.session() as session:
        returned = session.scalar(select(Transaction).where(Transaction.return_reason == "MD06"))
        assert returned is not None and returned.amount_cents == -123456
        original = session.get(Transaction, returned.return_of_id)
        assert original is not None and original.end_to_end_id == hotel.end_to_end_id
        messages = session.scalars(select(Notification.message).where(Notification.kind == "reopened")).all()
    assert any("RE-2026-0301" in m and "MD06" in m for m in messages), messages
    assert _open_amounts(ledger, "receivable", clock.day) == {"RE-2026-0301": Decimal("1234.56"), "RE-2026-0302": 0}
    _audit_intact(ledger)


def test_wrong_tan_sends_nothing_and_the_run_stays_approved(
    ledger: Ledger, server: DemoBankServer, clock: Clock, tmp_path: Path
) -> None:
    _staff(ledger)
    summary = connect(ledger, server, PhonePrompts(server.bank))
    business = summary.accounts[0]
    _payable(ledger, tmp_path, clock.day)
    order = transfer_from_invoice(ledger, "ER-7781", actor="carla", execution_on=clock.day, account_iban=business)
    _approved(ledger, order.run_id, clock.day)
    before = server.bank.balance(business)

    prompts = PhonePrompts(server.bank, wrong_tan=True)
    with pytest.raises(WrongTanError, match="did not accept the TAN"):
        send_run(ledger, order.run_id, pin=DEMO_PIN, prompts=prompts, actor="bob")

    assert len(prompts.tans_given) == 1  # never retried on its own
    row = run_row(ledger, order.run_id)
    assert (row.status, row.sent_at) == ("approved", None)
    assert server.bank.balance(business) == before
    assert not [b for b in server.bank.bookings(business) if b.end_to_end_id == order.end_to_end_id]
    _sync(ledger, summary, server, clock)
    assert _open_amounts(ledger, "payable", clock.day) == {"ER-7781": Decimal("2345.67")}

    retry = send_run(ledger, order.run_id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor="bob")
    assert retry.ok and run_row(ledger, order.run_id).status == "sent"
    _audit_intact(ledger)


def _kontor(ledger: Ledger, home: Path, *args: str, pin: str, stdin: int = subprocess.DEVNULL) -> subprocess.Popen[str]:
    """`kontor --ledger … ARGS` as Bob runs it (the fixture's ledger passphrase is "pw")."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KONTOR_")} | {
        "KONTOR_HOME": str(home),
        "KONTOR_LANG": "en",
        "KONTOR_PASSPHRASE": "pw",
        "KONTOR_PIN": pin,
        "KONTOR_USER": "bob",
        "KONTOR_USER_PASSWORD": PASSWORDS["bob"],
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    command = [sys.executable, "-m", "app", "--ledger", str(ledger.path), *args]
    return subprocess.Popen(
        command, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment
    )


def _tan_on_the_phone(bank: DemoBank, process: subprocess.Popen[str]) -> str:
    """Wait for the CLI's order to reach the bank, then read the TAN from the demo phone."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        pending = bank.pending_tans()
        if pending and pending[0].tan:
            return pending[0].tan
        time.sleep(0.05)
    raise AssertionError(process.communicate(timeout=5))


def test_kontor_run_send_reads_the_tan_and_refuses_a_wrong_pin(
    ledger: Ledger, server: DemoBankServer, clock: Clock, tmp_path: Path, kontor_home: Path
) -> None:
    _staff(ledger)
    summary = connect(ledger, server, PhonePrompts(server.bank))
    _payable(ledger, tmp_path, clock.day)
    order = transfer_from_invoice(
        ledger, "ER-7781", actor="carla", execution_on=clock.day, account_iban=summary.accounts[0]
    )
    _approved(ledger, order.run_id, clock.day)

    wrong = _kontor(ledger, kontor_home, "run", "send", str(order.run_id), pin="99999")
    _out, err = wrong.communicate(timeout=60)
    assert wrong.returncode == 3 and "did not accept the PIN" in err and "99999" not in err
    assert run_row(ledger, order.run_id).status == "approved"

    process = _kontor(ledger, kontor_home, "run", "send", str(order.run_id), pin=DEMO_PIN, stdin=subprocess.PIPE)
    out, err = process.communicate(_tan_on_the_phone(server.bank, process) + "\n", timeout=60)
    assert process.returncode == 0, err
    assert "Überweisung an Feinwerkzeug Kraus GmbH" in err  # the TAN challenge: a prompt, so on stderr
    assert out.startswith(f"Run {order.run_id} sent to the bank (reference ") and out.count("\n") == 1
    assert run_row(ledger, order.run_id).status == "sent"


def test_send_run_asks_the_prompts_for_the_pin_and_a_cancel_sends_nothing(
    ledger: Ledger, server: DemoBankServer, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The GUI's way (no KONTOR_PIN, nothing in the keyring): `send_run` asks the prompts; no PIN cancels."""
    monkeypatch.delenv("KONTOR_PIN", raising=False)
    _staff(ledger)
    summary = connect(ledger, server, PhonePrompts(server.bank))
    _payable(ledger, tmp_path, clock.day)
    order = transfer_from_invoice(
        ledger, "ER-7781", actor="carla", execution_on=clock.day, account_iban=summary.accounts[0]
    )
    _approved(ledger, order.run_id, clock.day)

    with pytest.raises(Cancelled):
        send_run(ledger, order.run_id, prompts=PhonePrompts(server.bank, pin=None), actor="bob")
    assert run_row(ledger, order.run_id).status == "approved"
    prompts = PhonePrompts(server.bank)
    result = send_run(ledger, order.run_id, prompts=prompts, actor="bob")
    assert result.ok and prompts.tans_given
    assert run_row(ledger, order.run_id).status == "sent"


def test_a_refused_order_marks_the_run_failed_with_the_banks_reason(
    ledger: Ledger, server: DemoBankServer, clock: Clock
) -> None:
    _staff(ledger)
    summary = connect(ledger, server, PhonePrompts(server.bank))
    _customers_with_mandates(ledger, clock.day)
    debits = debits_from_open_receivables(ledger, actor="carla", account_iban=summary.accounts[0], today=clock.day)
    [run_id] = {d.run_id for d in debits}
    _approved(ledger, run_id, clock.day)
    clock.advance((run_row(ledger, run_id).execution_on - clock.day).days)  # approved, but sent too late

    prompts = PhonePrompts(server.bank)
    result = send_run(ledger, run_id, pin=DEMO_PIN, prompts=prompts, actor="bob")

    assert not result.ok and "9210" in result.message and "Fälligkeitsdatum" in result.message
    assert prompts.challenges == [] and server.bank.scheduled == []
    row = run_row(ledger, run_id)
    assert row.status == "failed" and "Fälligkeitsdatum" in row.status_reason
    assert connection_for_run(ledger, run_id) == summary.id
    _audit_intact(ledger)


def test_a_failed_dialog_end_after_the_order_still_marks_the_run_sent(
    ledger: Ledger, server: DemoBankServer, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _staff(ledger)
    summary = connect(ledger, server, PhonePrompts(server.bank))
    _payable(ledger, tmp_path, clock.day)
    order = transfer_from_invoice(
        ledger, "ER-7781", actor="carla", execution_on=clock.day, account_iban=summary.accounts[0]
    )
    _approved(ledger, order.run_id, clock.day)
    end_dialog = KontorFinTSClient.__exit__

    def lost_on_the_way_out(self: KontorFinTSClient, *args: object) -> None:
        end_dialog(self, *args)
        raise FinTSConnectionError("connection reset")

    monkeypatch.setattr(KontorFinTSClient, "__exit__", lost_on_the_way_out)
    result = send_run(ledger, order.run_id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor="bob")
    assert result.ok  # the bank has the order: the run must not stay approved and be paid twice
    assert run_row(ledger, order.run_id).status == "sent"


def test_app_approval_is_polled_and_a_denial_leaves_the_run_approved(
    ledger: Ledger, server: DemoBankServer, clock: Clock, tmp_path: Path
) -> None:
    _staff(ledger)
    summary = connect(ledger, server, PhonePrompts(server.bank, mechanism="946"))
    _payable(ledger, tmp_path, clock.day)
    order = transfer_from_invoice(
        ledger, "ER-7781", actor="carla", execution_on=clock.day, account_iban=summary.accounts[0]
    )
    _approved(ledger, order.run_id, clock.day)

    denied = PhonePrompts(server.bank, approve=False)
    with pytest.raises(BankRejectedError, match="9951"):
        send_run(ledger, order.run_id, pin=DEMO_PIN, prompts=denied, actor="bob")
    assert denied.finished == [False] and run_row(ledger, order.run_id).status == "approved"

    approved = PhonePrompts(server.bank)
    assert send_run(ledger, order.run_id, pin=DEMO_PIN, prompts=approved, actor="bob").ok
    assert approved.challenges[0].kind == "decoupled" and approved.finished == [True]
    assert run_row(ledger, order.run_id).status == "sent"
    assert [b.amount for b in server.bank.bookings(summary.accounts[0]) if b.end_to_end_id == order.end_to_end_id] == [
        Decimal("-2345.67")
    ]
