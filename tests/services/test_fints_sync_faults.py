"""Sync against a demo bank that misbehaves as real banks do: each account on its own, every answer read defensively."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import pytest
from fints.parser import FinTSParserWarning
from sqlalchemy import func, select
from test_bank_simulator_support import Clock
from test_fints_support import ACTOR, PhonePrompts, booking_counts, connect, serve

from app.demobank import DEMO_BLZ, DEMO_LOGIN, DEMO_PIN, DemoBankServer, Policy
from app.models.schema import BalanceSnapshot, BankAccount, BankConnection
from app.services.banking.connections import add_connection, remove_connection, sync
from app.services.banking.fints_client import AccessLockedError, BankAnswerUnreadableError, WrongPinError, WrongTanError
from app.services.formatting import grouped_iban
from app.services.ledger.database import Ledger

pytest_plugins = ["test_fints_support"]  # fixtures: ledger, clock, server
PAGE = 20


def _snapshots(ledger: Ledger) -> dict[str, int]:
    with ledger.session() as session:
        rows = session.execute(
            select(BankAccount.iban, func.count(BalanceSnapshot.id)).join(BalanceSnapshot).group_by(BankAccount.iban)
        ).all()
    return dict(rows)  # type: ignore[arg-type]


def _last_sync(ledger: Ledger, connection_id: int) -> object:
    with ledger.session() as session:
        connection = session.get(BankConnection, connection_id)
        assert connection is not None
        return connection.last_sync_at


def _misbehave(server: DemoBankServer, **changes: object) -> list[str]:
    """Switch the running bank's policy; returns its IBANs (business account first)."""
    server.bank.policy = replace(server.bank.policy, **changes)  # type: ignore[arg-type]
    return list(server.bank.accounts)


def _expected(server: DemoBankServer, clock: Clock, days: int = 90) -> dict[str, int]:
    start = clock.day - timedelta(days=days)
    return {iban: len(server.bank.bookings(iban, start, clock.day)) for iban in server.bank.accounts}


def test_missing_balance_is_a_warning_on_that_account_only(
    ledger: Ledger, server: DemoBankServer, clock: Clock
) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank))
    business, savings = list(server.bank.accounts)
    _misbehave(server, no_balance_for=(business,))
    result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock)
    by_iban = {a.iban: a for a in result.accounts}
    assert by_iban[business].balance is None and by_iban[business].complete
    [warning] = by_iban[business].warnings
    assert "No balance from the bank, none stored" in warning and grouped_iban(business) in warning
    assert by_iban[savings].balance == server.bank.balance(savings) and by_iban[savings].warnings == []
    assert booking_counts(ledger) == _expected(server, clock)  # the statements of both came in
    assert _snapshots(ledger) == {savings: 1}
    assert _last_sync(ledger, summary.id) is not None  # the statements are complete: the next sync goes on from here


def test_empty_camt_documents_are_warnings_naming_them_and_every_page_is_read(ledger: Ledger, clock: Clock) -> None:
    server = serve(Policy(page_size=PAGE, empty_camt_document=True), clock=clock)
    try:
        summary = connect(ledger, server, PhonePrompts(server.bank))
        result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock)
        expected = _expected(server, clock)
        business = next(iter(server.bank.accounts))
        assert expected[business] > 2 * PAGE  # three pages or more, each with an empty document first
        assert booking_counts(ledger) == expected
        for account in result.accounts:
            pages = -(-expected[account.iban] // PAGE)
            assert len(account.warnings) == pages and not account.complete
            for number, warning in zip(range(1, 2 * pages, 2), account.warnings, strict=True):
                assert f"Document {number} of {2 * pages} " in warning
                assert f"FinTS {account.iban} camt {number}: " in warning and "could not be read" in warning
        assert _snapshots(ledger) == {iban: 1 for iban in server.bank.accounts}
        assert _last_sync(ledger, summary.id) is None  # something was unreadable: the next sync asks again
    finally:
        server.stop()


def test_a_refused_statement_request_leaves_the_other_account_imported(
    ledger: Ledger, server: DemoBankServer, clock: Clock
) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank))
    business, savings = _misbehave(server)
    _misbehave(server, refuse_statements_for=(business,))
    result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock)
    by_iban = {a.iban: a for a in result.accounts}
    [warning] = by_iban[business].warnings
    assert warning.startswith("No statements from the bank:") and "9210" in warning
    assert not by_iban[business].complete and by_iban[business].balance == server.bank.balance(business)
    assert booking_counts(ledger) == {savings: _expected(server, clock)[savings]}
    assert _snapshots(ledger) == {business: 1, savings: 1}
    assert _last_sync(ledger, summary.id) is None


def test_overlong_response_texts_are_read_not_a_crash(
    ledger: Ledger, clock: Clock, recwarn: pytest.WarningsRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    """Every HIRMS over 80 characters: bank add (TAN media included), 3040 paging and a wrong PIN still work."""
    server = serve(Policy(page_size=PAGE, long_response_texts=True), clock=clock)
    try:
        summary = connect(ledger, server, PhonePrompts(server.bank))
        assert summary.tan_mechanism == "942" and len(summary.accounts) == 2
        result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock)
        assert all(not a.warnings for a in result.accounts), result.accounts
        assert booking_counts(ledger) == _expected(server, clock)  # the touchdown points in long HIRMS were followed
        with pytest.raises(WrongPinError):
            sync(ledger, summary.id, pin="00000", prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock)
        assert server.bank.users[DEMO_LOGIN].failed_pins == 1
        assert not [w for w in recwarn if issubclass(w.category, FinTSParserWarning)]  # logged, not on stderr
        assert "could not parse" in caplog.text
    finally:
        server.stop()


def test_temporary_lock_3931_is_said_plainly(ledger: Ledger, server: DemoBankServer, clock: Clock) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank))
    _misbehave(server, temporary_lock=True)
    with pytest.raises(AccessLockedError, match="locked for the time being") as raised:
        sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock)
    assert "3931" in str(raised.value) and "refused the order" not in str(raised.value)
    remove_connection(ledger, summary.id, actor=ACTOR)
    with pytest.raises(AccessLockedError, match="locked for the time being"):  # bank add: at the first contact
        add_connection(
            ledger, blz=DEMO_BLZ, url=server.url, login=DEMO_LOGIN, pin=DEMO_PIN, prompts=PhonePrompts(server.bank),
            actor=ACTOR,
        )  # fmt: skip
    assert booking_counts(ledger) == {}


def test_an_unreadable_answer_is_not_called_a_refusal(ledger: Ledger, server: DemoBankServer, clock: Clock) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank))
    _misbehave(server, garbage_for=("HKSAL",))
    result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock)
    for account in result.accounts:
        [warning] = account.warnings
        assert "could not be read" in warning and "refused" not in warning
        assert account.balance is None
    assert booking_counts(ledger) == _expected(server, clock)
    assert _snapshots(ledger) == {}


def test_decoupled_without_automatic_polling_waits_for_the_user(ledger: Ledger, clock: Clock) -> None:
    server = serve(Policy(decoupled_automatic_polling=False), clock=clock)
    try:
        summary = connect(ledger, server, PhonePrompts(server.bank, mechanism="946"))
        prompts = PhonePrompts(server.bank)
        since = clock.day - timedelta(days=120)
        began = time.monotonic()
        result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=prompts, actor=ACTOR, since=since, today=clock)
        polling = prompts.challenges[0].polling
        assert polling is not None and not polling.automatic and polling.first_wait == 2
        assert time.monotonic() - began < polling.first_wait  # asked the bank when the user said so, no timer
        assert prompts.finished == [True] and prompts.polls == [0]
        assert result.new == sum(_expected(server, clock, 120).values())
    finally:
        server.stop()


def test_app_approval_is_recognised_from_hitans_7_when_the_bank_answers_0030(ledger: Ledger, clock: Clock) -> None:
    """python-fints sets its decoupled flag only on 3955; HITANS 7's decoupled fields say it just as well."""
    server = serve(Policy(decoupled_code="0030"), clock=clock)
    try:
        summary = connect(ledger, server, PhonePrompts(server.bank, mechanism="946"))
        prompts = PhonePrompts(server.bank)
        since = clock.day - timedelta(days=120)
        result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=prompts, actor=ACTOR, since=since, today=clock)
        assert [c.kind for c in prompts.challenges] == ["decoupled"] and prompts.tans_given == []
        assert prompts.finished == [True]
        assert result.new == sum(_expected(server, clock, 120).values())
    finally:
        server.stop()


@pytest.mark.parametrize("allowed", [True, False], ids=["upd-allows-camt", "upd-without-camt"])
def test_camt_only_where_the_accounts_upd_allow_it(ledger: Ledger, clock: Clock, allowed: bool) -> None:
    server = serve(Policy(upd_allows_camt=allowed), clock=clock)
    try:
        summary = connect(ledger, server, PhonePrompts(server.bank))
        result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock)
        assert {a.format for a in result.accounts} == {"camt" if allowed else "mt940"}
        assert booking_counts(ledger) == _expected(server, clock)
    finally:
        server.stop()


def test_garbage_at_bank_add_says_the_answer_could_not_be_read(ledger: Ledger, server: DemoBankServer) -> None:
    _misbehave(server, garbage_for=("HKVVB",))
    with pytest.raises(BankAnswerUnreadableError, match="could not be read; the bank did not refuse anything"):
        connect(ledger, server, PhonePrompts(server.bank))
    assert server.bank.users[DEMO_LOGIN].failed_pins == 0


def test_a_wrong_tan_stops_the_sync_but_keeps_what_came_before(
    ledger: Ledger, server: DemoBankServer, clock: Clock
) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank))
    business, _savings = list(server.bank.accounts)
    prompts = PhonePrompts(server.bank, wrong_tan=True)
    since = clock.day - timedelta(days=150)  # the first statement request needs a TAN
    with pytest.raises(WrongTanError):
        sync(ledger, summary.id, pin=DEMO_PIN, prompts=prompts, actor=ACTOR, since=since, today=clock)
    assert len(prompts.tans_given) == 1  # never retried, and the next account is not asked for
    assert _snapshots(ledger) == {business: 1}  # its balance came before the TAN and is kept
    assert booking_counts(ledger) == {} and _last_sync(ledger, summary.id) is None


def test_an_unparseable_tan_media_list_means_no_media_to_choose(ledger: Ledger, server: DemoBankServer) -> None:
    _misbehave(server, garbled_tan_media=True)
    prompts = PhonePrompts(server.bank)
    summary = connect(ledger, server, prompts)
    assert summary.tan_mechanism == "942" and summary.tan_medium == "" and prompts.media_offered == []


def test_user_parameters_python_fints_cannot_parse_do_not_stop_bank_add_or_sync(ledger: Ledger, clock: Clock) -> None:
    server = serve(Policy(upd_version_5=True), clock=clock)
    try:
        summary = connect(ledger, server, PhonePrompts(server.bank))
        assert summary.bank_name == "Kontor Demobank" and len(summary.accounts) == 2
        sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock)
        assert booking_counts(ledger) == _expected(server, clock)
    finally:
        server.stop()
