"""Which of a login's accounts Kontor keeps, under which names: chosen in the connection wizard.

A login often reaches accounts the company does not want in its books (a private account, a savings account of
the director). Those are left out: unlinked from the login, removed if nothing was booked on them yet, and never
fetched by a sync again. The choice is kept in the company settings, so no schema change is needed."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.schema import BalanceSnapshot, BankAccount, Transaction
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.settings import read_section, write_section
from app.services.statements.account_names import set_account_name

EXCLUDED_SECTION = "bank_excluded_accounts"  # {connection id: [IBAN, …]}


@dataclass(frozen=True, slots=True)
class LinkedAccount:
    iban: str
    name: str


def linked_accounts(ledger: Ledger, connection_id: int) -> list[LinkedAccount]:
    """The login's accounts with the names they have now (the bank's product name for new ones)."""
    with ledger.session() as session:
        accounts = session.scalars(
            select(BankAccount).where(BankAccount.connection_id == connection_id).order_by(BankAccount.iban)
        )
        return [LinkedAccount(account.iban, account.name) for account in accounts]


def excluded_ibans(session: Session, connection_id: int) -> set[str]:
    """The accounts of a login that a sync leaves out."""
    return set(read_section(session, EXCLUDED_SECTION, {}).get(str(connection_id), []))


def choose_accounts(
    ledger: Ledger, connection_id: int, *, names: Mapping[str, str], excluded: Collection[str], actor: str
) -> None:
    """Name the kept accounts (IBAN → name) and leave out `excluded`, all in one audited transaction."""
    with ledger.writer() as session:
        accounts = {
            account.iban: account
            for account in session.scalars(select(BankAccount).where(BankAccount.connection_id == connection_id))
        }
        for iban, name in names.items():
            if iban in accounts and iban not in excluded:
                set_account_name(session, accounts[iban], name, actor=actor)
        for iban in sorted(set(excluded) & set(accounts)):
            _leave_out(session, accounts[iban], actor=actor)
        before = read_section(session, EXCLUDED_SECTION, {})
        chosen = sorted(excluded_ibans(session, connection_id) | (set(excluded) & set(accounts)))
        if chosen != before.get(str(connection_id), []):
            write_section(session, EXCLUDED_SECTION, {**before, str(connection_id): chosen}, actor=actor,
                          summary=f"accounts left out of connection {connection_id}")  # fmt: skip


def _leave_out(session: Session, account: BankAccount, *, actor: str) -> None:
    """Unlink the account; an account nothing was booked on yet (just listed by the bank) goes altogether."""
    used = session.scalar(select(func.count()).where(Transaction.account_id == account.id)) or session.scalar(
        select(func.count()).where(BalanceSnapshot.account_id == account.id)
    )
    if used:
        account.connection_id = None
        audit.record_row(session, actor=actor, action="update", row=account, summary=f"{account.iban} left out")
    else:
        audit.record_row(session, actor=actor, action="delete", row=account, summary=f"{account.iban} left out")
        session.delete(account)


def include_again(ledger: Ledger, connection_id: int, iban: str, *, actor: str) -> None:
    """Take a left-out account back in: the next sync links and fetches it again."""
    with ledger.writer() as session:
        before = read_section(session, EXCLUDED_SECTION, {})
        left_out = before.get(str(connection_id), [])
        if iban not in left_out:
            return
        write_section(session, EXCLUDED_SECTION, {**before, str(connection_id): [i for i in left_out if i != iban]},
                      actor=actor, summary=f"{iban} of connection {connection_id} included again")  # fmt: skip


def left_out_accounts(ledger: Ledger, connection_id: int) -> list[str]:
    """The IBANs a login's syncs leave out, for Manage connections."""
    with ledger.session() as session:
        return sorted(excluded_ibans(session, connection_id))


def forget_choice(session: Session, connection_id: int, *, actor: str) -> None:
    """A removed login's choice goes with it: a later login may get the same id and must fetch all its accounts."""
    before = read_section(session, EXCLUDED_SECTION, {})
    if str(connection_id) in before:
        remaining = {key: value for key, value in before.items() if key != str(connection_id)}
        write_section(session, EXCLUDED_SECTION, remaining, actor=actor,
                      summary=f"accounts left out of connection {connection_id} forgotten")  # fmt: skip
