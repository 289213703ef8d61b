"""The demo bank driven by the real python-fints client: bootstrap, accounts, statements, TANs, PIN errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from fints.camt_parser import camt053_to_dict
from fints.client import FinTS3PinTanClient, NeedTANResponse
from fints.exceptions import FinTSClientPINError, FinTSClientTemporaryAuthError
from fints.formals import CUSTOMER_ID_ANONYMOUS
from fints.models import SEPAAccount
from test_bank_simulator_support import TODAY, Clock, client_for, collect_codes

from app.demobank import DEMO_BLZ, DEMO_LOGIN, DemoBank, DemoBankServer, Policy, run_demo_bank

PAGE = 25


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bank(clock: Clock) -> DemoBank:
    return DemoBank(seed=7, today=clock, policy=Policy(page_size=PAGE))


@pytest.fixture
def server(bank: DemoBank) -> Iterator[DemoBankServer]:
    with DemoBankServer(bank) as running:
        yield running


def test_bootstrap_lists_methods_and_media(server: DemoBankServer, bank: DemoBank) -> None:
    client = client_for(server)
    assert client.fetch_tan_mechanisms() == "942"
    mechanisms = client.get_tan_mechanisms()
    assert list(mechanisms) == ["942", "946", "902", "972"]
    assert mechanisms["946"].decoupled_max_poll_number == 60
    usage, media = client.get_tan_media()
    assert {m.tan_medium_name for m in media} == {"Handy Demo", "Kontor DemoApp", "photoTAN-App", "Karte 1234"}
    assert len(bank.users[DEMO_LOGIN].system_ids) == 1
    assert client.get_information()["bank"]["name"] == "Kontor Demobank"


def test_accounts_and_balances(server: DemoBankServer, bank: DemoBank) -> None:
    client = client_for(server)
    client.fetch_tan_mechanisms()
    with client:
        accounts = client.get_sepa_accounts()
        assert [a.iban for a in accounts] == list(bank.accounts)
        for account in accounts:
            balance = client.get_balance(account)
            assert balance.amount.amount == bank.balance(account.iban)
            assert balance.date == TODAY


def test_mt940_paging_matches_bank_state(server: DemoBankServer, bank: DemoBank) -> None:
    client = client_for(server)
    client.fetch_tan_mechanisms()
    codes = collect_codes(client)
    start = TODAY - timedelta(days=80)
    with client:
        account = client.get_sepa_accounts()[0]
        transactions = client.get_transactions(account, start, TODAY)
    expected = bank.bookings(account.iban, start, TODAY)
    assert len(expected) > 2 * PAGE
    assert codes.count("3040") == len(expected) // PAGE
    assert len(transactions) == len(expected)
    assert sum(t.data["amount"].amount for t in transactions) == sum(b.amount for b in expected)
    assert {t.data["end_to_end_reference"] for t in transactions} >= {
        b.end_to_end_id for b in expected if b.end_to_end_id != "NOTPROVIDED"
    }


def test_camt_paging_matches_bank_state(server: DemoBankServer, bank: DemoBank) -> None:
    client = client_for(server)
    client.fetch_tan_mechanisms()
    start = TODAY - timedelta(days=80)
    with client:
        account = client.get_sepa_accounts()[0]
        booked, pending = client.get_transactions_xml(account, start, TODAY)
    expected = bank.bookings(account.iban, start, TODAY)
    assert len(booked) == -(-len(expected) // PAGE)
    entries = [entry for document in booked for entry in camt053_to_dict(document)]
    assert len(entries) == len(expected)
    assert sum(Decimal(e["amount"].amount) for e in entries) == sum(b.amount for b in expected)
    assert b"urn:iso:std:iso:20022:tech:xsd:camt.052.001.08" in booked[0]
    assert all(p is None for p in pending)


def test_old_period_needs_the_sms_tan(server: DemoBankServer, bank: DemoBank) -> None:
    client = client_for(server)
    client.fetch_tan_mechanisms()
    start = TODAY - timedelta(days=200)
    with client:
        account = client.get_sepa_accounts()[0]
        recent = client.get_transactions(account, TODAY - timedelta(days=30), TODAY)
        assert not isinstance(recent, NeedTANResponse)
        challenge = client.get_transactions(account, start, TODAY)
        assert isinstance(challenge, NeedTANResponse) and not challenge.decoupled
        [sms] = bank.pending_tans()
        assert sms.kind == "text" and sms.tan in sms.text
        transactions = client.send_tan(challenge, sms.tan)
    assert len(transactions) == len(bank.bookings(account.iban, start, TODAY))
    assert bank.pending_tans() == []


def test_wrong_tan_on_statement_then_right_tan(server: DemoBankServer, bank: DemoBank) -> None:
    client = client_for(server)
    client.fetch_tan_mechanisms()
    codes = collect_codes(client)
    start = TODAY - timedelta(days=120)
    with client:
        account = client.get_sepa_accounts()[0]
        challenge = client.get_transactions(account, start, TODAY)
        [sms] = bank.pending_tans()
        assert client.send_tan(challenge, "000000" if sms.tan != "000000" else "111111") == []
        assert "9941" in codes
        transactions = client.send_tan(challenge, sms.tan)
    assert len(transactions) == len(bank.bookings(account.iban, start, TODAY))


def test_wrong_pin_is_one_attempt(server: DemoBankServer, bank: DemoBank) -> None:
    client = client_for(server, pin="99999")
    with pytest.raises(FinTSClientPINError):
        client.fetch_tan_mechanisms()
    assert bank.users[DEMO_LOGIN].failed_pins == 1
    assert not bank.users[DEMO_LOGIN].locked


def test_three_wrong_pins_lock_the_access(server: DemoBankServer, bank: DemoBank) -> None:
    for _ in range(3):
        with pytest.raises(FinTSClientPINError):
            client_for(server, pin="99999").fetch_tan_mechanisms()
    assert bank.users[DEMO_LOGIN].locked
    client = client_for(server)  # even the right PIN now gets 3938
    with pytest.raises(FinTSClientTemporaryAuthError):
        client.fetch_tan_mechanisms()
    assert client.pin.blocked


def test_second_session_reuses_the_system_id(server: DemoBankServer, bank: DemoBank) -> None:
    first = client_for(server)
    first.fetch_tan_mechanisms()
    with first:
        first.get_sepa_accounts()
    blob = first.deconstruct(including_private=True)
    second = client_for(server, from_data=blob)
    with second:
        assert len(second.get_sepa_accounts()) == 2
    assert second.system_id == first.system_id
    assert bank.users[DEMO_LOGIN].system_ids == [first.system_id]


def test_login_sca_only_for_a_new_system(clock: Clock) -> None:
    bank = DemoBank(seed=7, today=clock, policy=Policy(init_sca="new_system"))
    with DemoBankServer(bank) as server:
        client = client_for(server)
        client.fetch_tan_mechanisms()
        with client:
            assert isinstance(client.init_tan_response, NeedTANResponse)
            [sms] = bank.pending_tans()
            client.init_tan_response = client.send_tan(client.init_tan_response, sms.tan)
            assert len(client.get_sepa_accounts()) == 2
        again = client_for(server, from_data=client.deconstruct(including_private=True))
        with again:
            assert again.init_tan_response is None
            assert len(again.get_sepa_accounts()) == 2


def test_history_is_deterministic_and_pays_the_given_invoices(clock: Clock) -> None:
    invoices = [
        ("RE-2026-0042", "Bäckerei Schmidt OHG", "DE02120300000000202051", Decimal("1190.00")),
        ("RE-2026-0043", "Autohaus Becker GmbH", "DE02500105170137075030", Decimal("238.50")),
    ]
    first, second = DemoBank(seed=3, today=clock, invoices=invoices), DemoBank(seed=3, today=clock, invoices=invoices)
    iban = next(iter(first.accounts))
    assert first.bookings(iban) == second.bookings(iban)
    paid = {b.end_to_end_id: b for b in first.bookings(iban) if b.end_to_end_id.startswith("RE-")}
    assert paid["RE-2026-0042"].amount == Decimal("1190.00")
    assert paid["RE-2026-0043"].counterparty_iban == "DE02500105170137075030"
    assert DemoBank(seed=4, today=clock).bookings(iban) != first.bookings(iban)
    gvcs = {b.gvc for b in first.bookings(iban)}
    assert {"153", "117", "105", "106", "805", "166"} <= gvcs


def test_camt_only_bank_makes_the_client_fall_back(clock: Clock) -> None:
    bank = DemoBank(seed=7, today=clock, policy=Policy(offer_mt940=False))
    with DemoBankServer(bank) as server:
        client = client_for(server)
        client.fetch_tan_mechanisms()
        start = TODAY - timedelta(days=30)
        with client:
            account = client.get_sepa_accounts()[0]
            transactions = client.get_transactions(account, start, TODAY)
    expected = bank.bookings(account.iban, start, TODAY)
    assert len(transactions) == len(expected)
    assert {t.data["currency"] for t in transactions} == {"EUR"}


def test_foreign_account_is_refused(server: DemoBankServer) -> None:
    client = client_for(server)
    client.fetch_tan_mechanisms()
    codes = collect_codes(client)
    foreign = SEPAAccount("DE02120300000000202051", "BYLADEM1001", "202051", None, "12030000")
    with client:
        assert client.get_balance(foreign) is None
    assert "9210" in codes


def test_run_demo_bank_serves_anonymous_dialogs() -> None:
    server = run_demo_bank(seed=2)
    try:
        client = FinTS3PinTanClient(DEMO_BLZ, CUSTOMER_ID_ANONYMOUS, None, server.url, product_id="KONTORDEMO")
        with client:
            pass
        assert client.get_information()["bank"]["name"] == "Kontor Demobank"
        assert client.bpd_version > 0
        vop = client.bpd.find_segment_first("HIVPPS").parameter
        assert list(vop.payment_order_segment) == ["HKCCS", "HKCCM", "HKIPZ", "HKIPM"]
    finally:
        server.stop()
