"""Sync against the demo bank over loopback FinTS: CAMT and MT940, paging, TANs, wrong TAN, transfers, returns."""

from __future__ import annotations

import logging
import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fints.client import NeedTANResponse, ResponseStatus
from fints.models import SEPAAccount
from sepaxml import SepaDD, SepaTransfer
from sqlalchemy import select
from test_bank_simulator_support import Clock, client_for
from test_fints_support import ACTOR, PhonePrompts, booking_counts, connect, serve

from app.demobank import DEMO_LOGIN, DEMO_PIN, DemoBankServer, Policy
from app.models.schema import BalanceSnapshot, BankAccount, BankConnection, Notification, Transaction
from app.services.banking.connections import sync
from app.services.banking.fints_client import BankRejectedError, Cancelled, KontorFinTSClient, WrongTanError
from app.services.formatting import to_cents
from app.services.ledger.database import Ledger
from app.services.logs import setup_logging
from app.services.reconciliation.automatic import after_statement_import

pytest_plugins = ["test_fints_support"]  # fixtures: ledger, clock, server
PAGE = 20


def _assert_mirrors_bank(ledger: Ledger, server: DemoBankServer, start: date, end: date) -> None:
    """Every booking of the period is in the ledger once, and today's snapshot is the bank's balance."""
    bank = server.bank
    counts = booking_counts(ledger)
    with ledger.session() as session:
        for iban in bank.accounts:
            assert counts.get(iban, 0) == len(bank.bookings(iban, start, end))
            account = session.scalar(select(BankAccount).where(BankAccount.iban == iban))
            assert account is not None
            snapshot = session.scalar(
                select(BalanceSnapshot).where(
                    BalanceSnapshot.account_id == account.id, BalanceSnapshot.balance_on == end
                )
            )
            assert snapshot is not None and snapshot.amount_cents == to_cents(bank.balance(iban))


@pytest.mark.parametrize("camt", [True, False], ids=["camt", "mt940"])
def test_first_sync_imports_90_days_with_paging(ledger: Ledger, clock: Clock, camt: bool) -> None:
    server = serve(Policy(offer_camt=camt, page_size=PAGE), clock=clock)
    try:
        summary = connect(ledger, server, PhonePrompts(server.bank))
        prompts = PhonePrompts(server.bank)
        result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=prompts, actor=ACTOR, today=clock)
        start = clock.day - timedelta(days=90)
        assert result.start == start
        assert {a.format for a in result.accounts} == {"camt" if camt else "mt940"}
        business = next(iter(server.bank.accounts))
        assert len(server.bank.bookings(business, start, clock.day)) > 2 * PAGE
        assert result.new == sum(len(server.bank.bookings(i, start, clock.day)) for i in server.bank.accounts)
        assert all(not a.warnings for a in result.accounts), result.accounts
        assert prompts.challenges == []
        _assert_mirrors_bank(ledger, server, start, clock.day)
        outcome = result.outcome
        assert outcome.new == result.new and outcome.assigned + outcome.no_invoice + outcome.attention <= result.new
        with ledger.session() as session:
            [note] = session.scalars(select(Notification.message).where(Notification.kind == "sync")).all()
        assert note.startswith(f"Sync: {result.new} new bookings;") and "need attention" in note
    finally:
        server.stop()


def test_a_sync_recognises_transfers_between_the_companys_own_accounts(ledger: Ledger, clock: Clock) -> None:
    server = serve(clock=clock)
    try:
        summary = connect(ledger, server, PhonePrompts(server.bank))
        result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock,
                      after_import=after_statement_import(ACTOR))  # fmt: skip
        with ledger.session() as session:
            moved = session.scalars(select(Transaction).where(Transaction.purpose.like("%Umbuchung Tagesgeld%"))).all()
        assert moved and {(tx.reconciliation, tx.reconciliation_note) for tx in moved} == {
            ("ignored", "Transfer between own accounts")
        }
        assert result.outcome.no_invoice >= len(moved)
    finally:
        server.stop()


def test_second_sync_adds_no_duplicates_and_keeps_the_system_id(
    ledger: Ledger, server: DemoBankServer, clock: Clock
) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank))
    with ledger.session() as session:
        first_state = session.get(BankConnection, summary.id).client_state  # type: ignore[union-attr]
    sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock)
    before = booking_counts(ledger)
    clock.advance(1)
    again = sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock)
    assert again.start == clock.day - timedelta(days=5)  # last_sync_at is wall-clock time, the bank's is fixed
    assert again.duplicates > 0
    assert booking_counts(ledger) == {iban: before[iban] + again_new for iban, again_new in _new(again).items()}
    with ledger.session() as session:
        connection = session.get(BankConnection, summary.id)
        assert connection is not None and connection.last_sync_at is not None
        state = connection.client_state
    system_ids = [
        KontorFinTSClient("10000000", DEMO_LOGIN, None, server.url, from_data=blob, product_id="X").system_id
        for blob in (first_state, state)
    ]
    assert system_ids[0] == system_ids[1] != "0"
    assert server.bank.users[DEMO_LOGIN].system_ids == [system_ids[0]]
    _assert_mirrors_bank(ledger, server, clock.day - timedelta(days=91), clock.day)


def _new(result: object) -> dict[str, int]:
    return {a.iban: a.new for a in result.accounts}  # type: ignore[attr-defined]


@pytest.mark.parametrize(("mechanism", "kind"), [("942", "text"), ("902", "photo"), ("972", "flicker")])
def test_history_beyond_90_days_asks_for_a_tan(
    ledger: Ledger, server: DemoBankServer, clock: Clock, mechanism: str, kind: str
) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank, mechanism=mechanism))
    prompts = PhonePrompts(server.bank)
    since = clock.day - timedelta(days=200)
    result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=prompts, actor=ACTOR, since=since, today=clock)
    [challenge] = prompts.challenges  # one SCA covers the dialog's statement orders
    assert (challenge.kind, challenge.mechanism) == (kind, mechanism) and challenge.reference and challenge.text
    if kind == "photo":
        assert challenge.image is not None and challenge.image[1].startswith(b"\x89PNG")
    assert (challenge.flicker_code is not None) == (kind == "flicker")
    assert server.bank.pending_tans() == []
    assert result.new == sum(len(server.bank.bookings(i, since, clock.day)) for i in server.bank.accounts)
    _assert_mirrors_bank(ledger, server, since, clock.day)


def test_login_sca_is_answered_before_the_dialog_is_used(ledger: Ledger, clock: Clock) -> None:
    server = serve(Policy(init_sca="always"), clock=clock)
    try:
        summary = connect(ledger, server, PhonePrompts(server.bank))
        prompts = PhonePrompts(server.bank)
        result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=prompts, actor=ACTOR, today=clock)
        assert [c.kind for c in prompts.challenges] == ["text"]
        assert result.new > 0
    finally:
        server.stop()


def test_decoupled_app_approval_is_polled(ledger: Ledger, server: DemoBankServer, clock: Clock) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank, mechanism="946"))
    assert summary.tan_mechanism == "946"
    prompts = PhonePrompts(server.bank)
    since = clock.day - timedelta(days=120)
    business = next(iter(server.bank.accounts))
    result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=prompts, actor=ACTOR, since=since, today=clock)
    assert prompts.challenges[0].kind == "decoupled" and prompts.challenges[0].polling is not None
    assert prompts.challenges[0].polling.first_wait == 2
    assert prompts.finished == [True] and prompts.polls[0] == 0  # one approval covers the dialog
    assert _new(result)[business] == len(server.bank.bookings(business, since, clock.day))


def test_denied_in_the_app_or_cancelled_imports_nothing(ledger: Ledger, server: DemoBankServer, clock: Clock) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank, mechanism="946"))
    prompts = PhonePrompts(server.bank, approve=False)
    since = clock.day - timedelta(days=120)
    with pytest.raises(BankRejectedError):
        sync(ledger, summary.id, pin=DEMO_PIN, prompts=prompts, actor=ACTOR, since=since, today=clock)
    assert prompts.finished == [False]
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        sync(ledger, summary.id, pin=DEMO_PIN, prompts=prompts, actor=ACTOR, cancel=cancel, today=clock)
    assert booking_counts(ledger) == {}


def test_wrong_tan_imports_nothing(ledger: Ledger, server: DemoBankServer, clock: Clock) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank))
    prompts = PhonePrompts(server.bank, wrong_tan=True)
    with pytest.raises(WrongTanError, match="did not accept the TAN"):
        sync(
            ledger,
            summary.id,
            pin=DEMO_PIN,
            prompts=prompts,
            actor=ACTOR,
            since=clock.day - timedelta(days=150),
            today=clock,
        )
    assert len(prompts.tans_given) == 1  # never retried
    assert booking_counts(ledger) == {}
    with ledger.session() as session:
        assert session.get(BankConnection, summary.id).last_sync_at is None  # type: ignore[union-attr]


def _pain_transfers(account: SEPAAccount, on: date, payees: list[tuple[str, str, Decimal]]) -> str:
    sepa = SepaTransfer(
        {"name": "Kontor Demo GmbH", "IBAN": account.iban, "BIC": account.bic, "batch": True, "currency": "EUR"},
        "pain.001.001.09",
    )
    for number, (name, iban, amount) in enumerate(payees, start=1):
        sepa.add_payment({"name": name, "IBAN": iban, "amount": int(amount * 100), "execution_date": on,
                          "description": f"Lieferung {number}", "endtoend_id": f"KONTOR-S-{number}"})  # fmt: skip
    return sepa.export(validate=True).decode()


def _pain_debits(account: SEPAAccount, due: date, debits: list[tuple[str, str, Decimal, str]]) -> str:
    sepa = SepaDD(
        {"name": "Kontor Demo GmbH", "IBAN": account.iban, "BIC": account.bic, "batch": True,
         "creditor_id": "DE98ZZZ09999999999", "currency": "EUR", "instrument": "CORE"},
        "pain.008.001.08",
    )  # fmt: skip
    for name, iban, amount, e2e in debits:
        sepa.add_payment({"name": name, "IBAN": iban, "amount": int(amount * 100), "type": "RCUR",
                          "collection_date": due, "mandate_id": f"M-{e2e}", "mandate_date": date(2025, 1, 2),
                          "description": f"Rechnung {e2e}", "endtoend_id": e2e})  # fmt: skip
    return sepa.export(validate=True).decode()


def test_collective_transfer_shows_up_after_the_next_sync(ledger: Ledger, server: DemoBankServer, clock: Clock) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank))
    sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock)
    client = client_for(server)
    client.fetch_tan_mechanisms()
    payees = [("Bäckerei Schmidt OHG", "DE02120300000000202051", Decimal("120.00")),
              ("Autohaus Becker GmbH", "DE02500105170137075030", Decimal("80.00"))]  # fmt: skip
    with client:
        account = client.get_sepa_accounts()[0]
        challenge = client.sepa_transfer(
            account,
            _pain_transfers(account, clock.day, payees),
            multiple=True,
            control_sum=Decimal("200.00"),
            pain_descriptor="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09",
        )
        assert isinstance(challenge, NeedTANResponse)
        assert client.send_tan(challenge, server.bank.pending_tans()[0].tan).status == ResponseStatus.SUCCESS
    result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock)
    assert _new(result)[account.iban] == 1
    with ledger.session() as session:
        booked = session.scalars(select(Transaction.amount_cents).where(Transaction.booked_on == clock.day)).all()
    assert -20000 in booked
    _assert_mirrors_bank(ledger, server, clock.day - timedelta(days=90), clock.day)


def test_returned_direct_debit_is_imported_with_its_reason(
    ledger: Ledger, server: DemoBankServer, clock: Clock
) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank))
    client = client_for(server)
    client.fetch_tan_mechanisms()
    due = clock.day + timedelta(days=2)
    with client:
        account = client.get_sepa_accounts()[0]
        challenge = client.sepa_debit(
            account,
            _pain_debits(account, due, [("Hotel Zur Post GmbH", "DE02500105170137075030", Decimal("440.50"), "RE-77")]),
            multiple=True,
            control_sum=Decimal("440.50"),
            book_as_single=True,
            pain_descriptor="urn:iso:std:iso:20022:tech:xsd:pain.008.001.08",
        )
        assert client.send_tan(challenge, server.bank.pending_tans()[0].tan).status == ResponseStatus.SUCCESS
    clock.advance(2)
    sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock)
    server.bank.return_debit("RE-77", reason="MD06", after_days=1)
    clock.advance(1)
    result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock)
    assert sum(a.returns for a in result.accounts) == 1
    with ledger.session() as session:
        returned = session.scalar(select(Transaction).where(Transaction.return_reason != ""))
        assert returned is not None
        assert returned.return_reason == "MD06" and returned.amount_cents == -44050
        original = session.get(Transaction, returned.return_of_id)
        assert original is not None and original.amount_cents == 44050 and original.end_to_end_id == "RE-77"


def test_no_pin_or_tan_reaches_the_debug_log(
    ledger: Ledger, server: DemoBankServer, clock: Clock, tmp_path: Path
) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank))
    log_file = setup_logging(debug=True, directory=tmp_path / "logs")
    logging.getLogger("fints").setLevel(logging.DEBUG)  # as a careless debugging session would
    prompts = PhonePrompts(server.bank)
    try:
        sync(
            ledger,
            summary.id,
            pin=DEMO_PIN,
            prompts=prompts,
            actor=ACTOR,
            since=clock.day - timedelta(days=150),
            today=clock,
        )
    finally:
        for handler in logging.getLogger().handlers:
            handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "Dialog response" in text  # the log did record the session
    assert prompts.tans_given and all(tan not in text for tan in prompts.tans_given)
    assert DEMO_PIN not in text
