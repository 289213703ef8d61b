"""`kontor demo-run`: the in-process demo bank, paying the demo ledger's open invoices, and a connection to it.

The bank listens on a new port at every start, so the stored connection's URL is updated each time. The PIN is
never stored: the user types it at the first sync, as with a real bank.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.demobank import DEMO_BLZ, DEMO_LOGIN, DEMO_PIN, DemoBank, DemoBankServer, Policy
from app.demobank.history import default_invoices
from app.models.receivables import Allocation, Customer, Invoice
from app.models.schema import BankAccount, BankConnection, Transaction
from app.services.banking.connections import ConnectionSummary, add_connection, list_connections
from app.services.banking.prompts import PayeeCheck, TanChallenge, TanMechanismOption
from app.services.ledger import audit
from app.services.ledger.database import Ledger

RECENT_SLOTS = 12  # of the bank's 72 customer payments a year, about the last 60 days
DEMO_TAN_MECHANISM = "942"  # mobileTAN: the TAN dialog shows the demo phone's SMS beside the entry field


def open_invoice_payments(ledger: Ledger) -> list[tuple[str, str, str, Decimal]]:
    """Receivables without any allocation, as (number, customer, IBAN, amount) for the demo bank to pay."""
    allocated = select(Allocation.invoice_id).distinct()
    query = (
        select(Invoice.number, Customer.name, Customer.iban, Invoice.amount_cents)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.kind == "receivable", Invoice.cancelled.is_(False), Invoice.id.not_in(allocated))
        .order_by(Invoice.issued_on, Invoice.number)
    )
    with ledger.session() as session:
        rows = session.execute(query).all()
    return [(number, name, iban or "", Decimal(cents) / 100) for number, name, iban, cents in rows]


def paid_again(ledger: Ledger) -> list[tuple[str, str, str, Decimal]]:
    """The most recently paid receivable, paid a second time: the double payment Map points out."""
    paid = select(Allocation.invoice_id).distinct()
    query = (
        select(Invoice.number, Customer.name, Customer.iban, Invoice.amount_cents)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.kind == "receivable", Invoice.cancelled.is_(False), Invoice.id.in_(paid))
        .order_by(Invoice.issued_on.desc(), Invoice.number.desc())
        .limit(1)
    )
    with ledger.session() as session:
        rows = session.execute(query).all()
    return [(number, name, iban or "", Decimal(cents) / 100) for number, name, iban, cents in rows]


def start_demo_bank(ledger: Ledger, *, port: int = 0, seed: int = 1) -> DemoBankServer:
    """A demo bank on 127.0.0.1 whose customers pay the ledger's open invoices, so matching has work to do, and
    one of them pays an invoice a second time.

    Other customers' payments fill up to the bank's usual number, so the business account stays in credit."""
    # The bank spreads its customers' payments over the year; the ledger's open invoices (latest issued last) and
    # the double payment take the latest slots, which the first sync's 90 days cover.
    payments = open_invoice_payments(ledger)[-RECENT_SLOTS:] + paid_again(ledger)
    usual = default_invoices(date.today(), seed)
    policy = Policy(vop=True, vop_register=payee_register(ledger))
    invoices = usual[: len(usual) - len(payments)] + payments
    bank = DemoBank(seed=seed, invoices=invoices, issued=issue_dates(ledger), policy=policy)
    return DemoBankServer(bank, port).start()


def issue_dates(ledger: Ledger) -> dict[str, date]:
    """When each receivable was issued, so the demo bank's customers never pay an invoice before it exists."""
    with ledger.session() as session:
        rows = session.execute(select(Invoice.number, Invoice.issued_on).where(Invoice.kind == "receivable"))
        return {number: issued_on for number, issued_on in rows}


def payee_register(ledger: Ledger) -> tuple[tuple[str, str], ...]:
    """The holders the demo bank's payee check knows: the ledger's customers and everyone it paid before.

    A transfer to them with their exact name is a full match; a name typed differently shows the close match.
    """
    paid = select(Transaction.counterparty_iban, Transaction.counterparty_name).where(
        Transaction.amount_cents < 0, Transaction.counterparty_iban != ""
    )
    with ledger.session() as session:
        holders = dict(session.execute(paid).all())
        holders.update(session.execute(select(Customer.iban, Customer.name).where(Customer.iban != "")).all())
    return tuple(sorted(holders.items()))


class _DemoSetupPrompts:
    """Answers the one-time setup without a user: the demo bank's SMS method, its first medium, no TAN needed."""

    def ask_pin(self, label: str) -> str | None:
        return None

    def choose_tan_mechanism(self, options: Sequence[TanMechanismOption]) -> str | None:
        codes = [option.code for option in options]
        return DEMO_TAN_MECHANISM if DEMO_TAN_MECHANISM in codes else (codes[0] if codes else None)

    def choose_tan_medium(self, options: Sequence[str]) -> str | None:
        return options[0] if options else None

    def ask_tan(self, challenge: TanChallenge) -> str | None:
        return None

    def await_decoupled(self, challenge: TanChallenge, polls: int) -> bool:
        return False

    def decoupled_finished(self, challenge: TanChallenge, approved: bool) -> None:
        return None

    def confirm_payee(self, check: PayeeCheck) -> bool:
        return False  # setting up a connection sends no transfer


def connect_demo_bank(ledger: Ledger, server: DemoBankServer, *, actor: str) -> ConnectionSummary:
    """Create the demo connection on first use, else point the stored one at this run's URL."""
    with ledger.writer() as session:
        connection = session.scalar(
            select(BankConnection).where(BankConnection.blz == DEMO_BLZ, BankConnection.login == DEMO_LOGIN)
        )
        if connection is not None and connection.url != server.url:
            connection.url = server.url
            audit.record_row(session, actor=actor, action="update", row=connection, summary=f"demo bank {server.url}")
    if connection is None:
        summary = add_connection(
            ledger,
            blz=DEMO_BLZ,
            url=server.url,
            login=DEMO_LOGIN,
            pin=DEMO_PIN,
            prompts=_DemoSetupPrompts(),
            actor=actor,
        )
        _name_demo_accounts(ledger, summary)
        return summary
    [summary] = [c for c in list_connections(ledger) if c.blz == DEMO_BLZ and c.login == DEMO_LOGIN]
    return summary


def prepare_demo_bank(ledger: Ledger, *, actor: str) -> DemoBankServer:
    """Start the bank and point the ledger's demo connection at it; the caller stops the bank."""
    server = start_demo_bank(ledger)
    try:
        connect_demo_bank(ledger, server, actor=actor)
    except BaseException:
        server.stop()
        raise
    return server


def _name_demo_accounts(ledger: Ledger, summary: ConnectionSummary) -> None:
    """The demo BLZ is the Bundesbank's in the registry; the accounts should say whose demo they are."""
    with ledger.writer() as session:
        for account in session.scalars(select(BankAccount).where(BankAccount.connection_id == summary.id)):
            account.bank_name = summary.bank_name
