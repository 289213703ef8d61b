"""Setting up, listing and removing bank connections against the demo bank; PIN errors; bank lookup; PIN storage."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fints.exceptions import FinTSClientPINError
from sqlalchemy import select
from test_bank_simulator_support import Clock, client_for
from test_fints_support import ACTOR, PhonePrompts, connect

from app.demobank import DEMO_BLZ, DEMO_LOGIN, DEMO_PIN, DemoBankServer
from app.demobank.state import TanMedium
from app.models.schema import AuditEvent, BankAccount, BankConnection, CompanySettings, Transaction
from app.services.banking.banks import (
    REGISTRATION_URL,
    UNREGISTERED_PRODUCT_ID,
    UnknownBankError,
    bank_info,
    product_id,
)
from app.services.banking.connections import (
    BankConnectionError,
    add_connection,
    list_connections,
    remove_connection,
    sync,
)
from app.services.banking.fints_client import (
    AccessLockedError,
    BankUnavailableError,
    Cancelled,
    KontorFinTSClient,
    UnregisteredProductError,
    WrongPinError,
)
from app.services.banking.pins import pin_for
from app.services.ledger.database import Ledger
from app.services.ledger.secrets import pin_key, remember_pin, remembered_pin

pytest_plugins = ["test_fints_support"]  # fixtures: ledger, clock, server


def _connections(ledger: Ledger) -> int:
    with ledger.session() as session:
        return len(session.scalars(select(BankConnection)).all())


def test_add_offers_methods_and_media_and_links_the_accounts(ledger: Ledger, server: DemoBankServer) -> None:
    user = server.bank.users[DEMO_LOGIN]
    user.media.append(TanMedium("Zweithandy", "M", "942", "0171 *** 0815"))
    prompts = PhonePrompts(server.bank, mechanism="942", medium="Zweithandy")
    summary = connect(ledger, server, prompts)
    assert [(o.code, o.kind) for o in prompts.mechanisms_offered] == [
        ("942", "text"), ("946", "decoupled"), ("902", "photo"), ("972", "flicker")]  # fmt: skip
    assert prompts.media_offered == ["Handy Demo", "Zweithandy"]
    assert (summary.tan_mechanism, summary.tan_medium) == ("942", "Zweithandy")
    assert summary.bank_name == "Kontor Demobank"
    assert summary.accounts == tuple(sorted(server.bank.accounts))
    assert len(user.system_ids) == 1
    with ledger.session() as session:
        accounts = session.scalars(select(BankAccount).order_by(BankAccount.iban)).all()
        assert {a.connection_id for a in accounts} == {summary.id}
        assert {a.name for a in accounts} == {"Geschäftskonto", "Tagesgeld"}
        assert accounts[0].owner == "Kontor Demo GmbH"
        connection = session.get(BankConnection, summary.id)
        assert connection is not None and connection.client_state
        assert DEMO_PIN.encode() not in connection.client_state
        assert KontorFinTSClient(DEMO_BLZ, DEMO_LOGIN, None, server.url, from_data=connection.client_state,
                                 product_id="X").system_id == user.system_ids[0]  # fmt: skip
        actions = session.execute(select(AuditEvent.entity, AuditEvent.action)).all()
        assert ("bank_connections", "create") in actions
    assert list_connections(ledger) == [summary]
    with pytest.raises(BankConnectionError, match="already set up"):
        connect(ledger, server, PhonePrompts(server.bank))


def test_cancelled_method_choice_stores_nothing(ledger: Ledger, server: DemoBankServer) -> None:
    with pytest.raises(Cancelled):
        connect(ledger, server, PhonePrompts(server.bank, mechanism=None))
    assert _connections(ledger) == 0


def test_wrong_pin_is_one_attempt_and_stores_nothing(ledger: Ledger, server: DemoBankServer) -> None:
    prompts = PhonePrompts(server.bank)
    with pytest.raises(WrongPinError, match="counts wrong attempts"):
        add_connection(ledger, blz=DEMO_BLZ, url=server.url, login=DEMO_LOGIN, pin="99999", prompts=prompts,
                       actor=ACTOR)  # fmt: skip
    assert server.bank.users[DEMO_LOGIN].failed_pins == 1
    assert _connections(ledger) == 0
    with ledger.session() as session:
        assert session.scalars(select(BankAccount)).all() == []


def test_wrong_pin_on_sync_is_not_retried_and_forgets_the_remembered_pin(
    ledger: Ledger, server: DemoBankServer, clock: Clock
) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank))
    remember_pin(pin_key(DEMO_BLZ, DEMO_LOGIN), "99999")
    with pytest.raises(WrongPinError):
        sync(ledger, summary.id, pin="99999", prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock)
    assert server.bank.users[DEMO_LOGIN].failed_pins == 1
    assert remembered_pin(pin_key(DEMO_BLZ, DEMO_LOGIN)) is None
    with ledger.session() as session:
        assert session.scalars(select(Transaction)).all() == []


def test_locked_access_is_reported_as_such(ledger: Ledger, server: DemoBankServer) -> None:
    for _ in range(3):
        with pytest.raises(FinTSClientPINError):
            client_for(server, pin="99999").fetch_tan_mechanisms()
    with pytest.raises(AccessLockedError, match="locked"):
        connect(ledger, server, PhonePrompts(server.bank))
    assert _connections(ledger) == 0


def test_unreachable_bank_and_unregistered_product(
    ledger: Ledger, server: DemoBankServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = server.url
    server.stop()
    with pytest.raises(BankUnavailableError, match="cannot be reached"):
        add_connection(ledger, blz=DEMO_BLZ, url=url, login=DEMO_LOGIN, pin=DEMO_PIN,
                       prompts=PhonePrompts(server.bank), actor=ACTOR)  # fmt: skip
    server.start()

    def no_system_id(self: KontorFinTSClient) -> None:
        raise ValueError("Could not find system_id")  # what python-fints raises when the bank refuses the product

    monkeypatch.setattr(KontorFinTSClient, "_ensure_system_id", no_system_id)
    with pytest.raises(UnregisteredProductError) as error:
        connect(ledger, server, PhonePrompts(server.bank))
    assert REGISTRATION_URL in str(error.value) and "Settings" in str(error.value)
    assert _connections(ledger) == 0


def test_remove_keeps_accounts_and_history(ledger: Ledger, server: DemoBankServer, clock: Clock) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank))
    result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock,
                  since=clock.day - timedelta(days=10))  # fmt: skip
    remember_pin(pin_key(DEMO_BLZ, DEMO_LOGIN), DEMO_PIN)
    remove_connection(ledger, summary.id, actor=ACTOR)
    assert list_connections(ledger) == []
    assert remembered_pin(pin_key(DEMO_BLZ, DEMO_LOGIN)) is None
    with ledger.session() as session:
        accounts = session.scalars(select(BankAccount)).all()
        assert len(accounts) == 2 and {a.connection_id for a in accounts} == {None}
        assert len(session.scalars(select(Transaction)).all()) == result.new > 0
        assert ("bank_connections", "delete") in session.execute(select(AuditEvent.entity, AuditEvent.action)).all()
    with pytest.raises(BankConnectionError):
        remove_connection(ledger, summary.id, actor=ACTOR)


def test_bank_info_from_the_registry_and_the_curated_urls() -> None:
    assert bank_info("12030000").fints_url == "https://fints.dkb.de/fints"
    assert bank_info("500 105 17").fints_url == "https://fints.ing.de/fints"
    assert bank_info("20041133").fints_url == "https://fints.comdirect.de/fints"
    assert bank_info("50040000").fints_url == "https://fints.commerzbank.de/PinTanCgi"
    assert bank_info("76010085").fints_url == "https://hbci.postbank.de/banking/hbci.do"
    assert bank_info("60090100").fints_url == "https://fints2.atruvia.de/cgi-bin/hbciservlet"
    ing = bank_info("50010517")
    assert (ing.name, ing.bic) == ("ING-DiBa", "INGDDEFFXXX")
    demo = bank_info(DEMO_BLZ, demo_url="http://127.0.0.1:1/fints")
    assert (demo.name, demo.fints_url) == ("Kontor Demobank", "http://127.0.0.1:1/fints")
    with pytest.raises(UnknownBankError):
        bank_info("99999999")
    with pytest.raises(UnknownBankError):
        bank_info("1234")


def test_product_id_from_settings_and_environment(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    with ledger.session() as session, session.begin():
        assert product_id(session) == UNREGISTERED_PRODUCT_ID
        settings = session.scalar(select(CompanySettings))
        assert settings is not None
        settings.settings_json = json.dumps({"fints_product_id": "ABC123DEF"})
    with ledger.session() as session:
        assert product_id(session) == "ABC123DEF"
        monkeypatch.setenv("KONTOR_FINTS_PRODUCT_ID", "FROMENV")
        assert product_id(session) == "FROMENV"


def test_pin_comes_from_env_then_keyring_then_prompt(
    ledger: Ledger, server: DemoBankServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank))
    assert pin_for(summary, PhonePrompts(server.bank, pin="from-prompt")) == "from-prompt"
    remember_pin(pin_key(DEMO_BLZ, DEMO_LOGIN), "from-keyring")
    assert pin_for(summary, PhonePrompts(server.bank, pin="from-prompt")) == "from-keyring"
    monkeypatch.setenv("KONTOR_PIN", "from-env")
    assert pin_for(summary, PhonePrompts(server.bank, pin=None)) == "from-env"
