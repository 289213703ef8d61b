"""Choosing and naming a login's accounts in the wizard: a left-out account is gone from the books and the syncs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from test_bank_simulator_support import Clock
from test_fints_support import ACTOR, PhonePrompts, connect

from app.demobank import DEMO_PIN, DemoBankServer
from app.models.schema import AuditEvent, BankAccount, Transaction
from app.services.banking.account_choice import (
    choose_accounts,
    excluded_ibans,
    include_again,
    left_out_accounts,
    linked_accounts,
)
from app.services.banking.connections import remove_connection, sync
from app.services.errors import KontorError
from app.services.ledger.database import Ledger

pytest_plugins = ["test_fints_support"]  # fixtures: ledger, clock, server


def test_left_out_account_is_removed_and_not_synced_and_the_kept_one_renamed(
    ledger: Ledger, server: DemoBankServer, clock: Clock
) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank))
    kept, left_out = summary.accounts
    assert {a.name for a in linked_accounts(ledger, summary.id)} == {"Geschäftskonto", "Tagesgeld"}
    choose_accounts(ledger, summary.id, names={kept: "  Hauptkonto   Sparkasse "}, excluded=[left_out], actor=ACTOR)
    assert linked_accounts(ledger, summary.id)[0].name == "Hauptkonto Sparkasse"
    with ledger.session() as session:
        assert session.scalars(select(BankAccount.iban)).all() == [kept]  # nothing was booked on it: gone
        assert excluded_ibans(session, summary.id) == {left_out}
        events = session.execute(select(AuditEvent.entity, AuditEvent.action, AuditEvent.summary)).all()
        assert ("bank_accounts", "delete", f"{left_out} left out") in events
        assert ("bank_accounts", "update", f"renamed {kept}") in events
    result = sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock,
                  since=clock.day - timedelta(days=10))  # fmt: skip
    assert [account.iban for account in result.accounts] == [kept]
    with ledger.session() as session:
        assert session.scalars(select(BankAccount.iban)).all() == [kept]
        assert session.scalar(select(Transaction.id)) is not None

    assert left_out_accounts(ledger, summary.id) == [left_out]
    include_again(ledger, summary.id, left_out, actor=ACTOR)  # the bookkeeper changed their mind
    assert left_out_accounts(ledger, summary.id) == []
    again = sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock,
                 since=clock.day - timedelta(days=10))  # fmt: skip
    assert sorted(account.iban for account in again.accounts) == sorted([kept, left_out])
    with ledger.session() as session:
        assert sorted(session.scalars(select(BankAccount.iban))) == sorted([kept, left_out])


def test_an_account_with_bookings_is_only_unlinked(ledger: Ledger, server: DemoBankServer, clock: Clock) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank))
    sync(ledger, summary.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor=ACTOR, today=clock,
         since=clock.day - timedelta(days=10))  # fmt: skip
    first = summary.accounts[0]
    choose_accounts(ledger, summary.id, names={}, excluded=[first], actor=ACTOR)
    with ledger.session() as session:
        account = session.scalars(select(BankAccount).where(BankAccount.iban == first)).one()
        assert account.connection_id is None  # its history stays
    remove_connection(ledger, summary.id, actor=ACTOR)
    with ledger.session() as session:
        assert excluded_ibans(session, summary.id) == set()  # a new login with the same id fetches everything


def test_an_empty_name_is_refused_and_nothing_changes(ledger: Ledger, server: DemoBankServer) -> None:
    summary = connect(ledger, server, PhonePrompts(server.bank))
    kept, left_out = summary.accounts
    with pytest.raises(KontorError, match="needs a name"):
        choose_accounts(ledger, summary.id, names={kept: "  "}, excluded=[left_out], actor=ACTOR)
    assert len(linked_accounts(ledger, summary.id)) == 2
