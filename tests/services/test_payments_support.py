"""Shared setup for the payments tests: a real encrypted ledger with an account, users, suppliers and customers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from ledger_templates import new_ledger
from sqlalchemy.orm import Session

from app.models.base import Base
from app.models.schema import BankAccount, Customer, Invoice, Transaction
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.users import SignedInUser, add_user, sign_in
from app.services.payments.settings import set_creditor_id

PASS = "Zahlungs-Passphrase 4711"
TODAY = date(2026, 3, 2)  # a Monday
OWN = "DE89370400440532013000"
WEBER = "DE02120300000000202051"  # supplier, DKB
WEBER_NEW = "DE44500105175407324931"
HUBER_AT = "AT483200000012345864"
DUPONT_FR = "FR1420041010050500013M02606"
KUNDE = "DE12500105170648489890"  # customer paying by direct debit
CREDITOR_ID = "DE98ZZZ09999999999"
PASSWORDS = {"anna": "anna-geheim", "bob": "bob-geheim", "carla": "carla-geheim", "dora": "dora-geheim"}


@dataclass
class Setup:
    ledger: Ledger
    path: Path


def make_ledger(path: Path) -> Ledger:
    """Company with creditor ID and account; anna books, bob and carla approve, dora is admin; three invoices."""
    ledger = new_ledger(path, PASS, company_name="Müller Feinmechanik GmbH")
    with ledger.writer() as session:
        audited(
            session, BankAccount(iban=OWN, bic="COBADEFFXXX", name="Geschäftskonto", owner="Müller Feinmechanik GmbH")
        )
        add_users(session, {"anna": "bookkeeper", "bob": "approver", "carla": "approver"})
        weber = Customer(number="L-100", name="Bäckerei Weber e.K.", iban=WEBER)
        kunde = Customer(number="K-200", name="Schäfer & Söhne KG", iban=KUNDE)
        audited(session, weber, kunde)
        audited(
            session,
            *[
                Invoice(number="ER-2026-001", kind="payable", customer_id=weber.id, issued_on=date(2026, 2, 20),
                        due_on=date(2026, 3, 6), amount_cents=119000),
                Invoice(number="RE-2026-0042", kind="receivable", customer_id=kunde.id, issued_on=date(2026, 2, 25),
                        due_on=date(2026, 3, 10), amount_cents=50000),
                Invoice(number="RE-2026-0043", kind="receivable", customer_id=kunde.id, issued_on=date(2026, 2, 26),
                        due_on=None, amount_cents=2550),
            ]
        )  # fmt: skip
    set_creditor_id(ledger, CREDITOR_ID, actor="dora")
    return ledger


def add_users(session: Session, roles: dict[str, str]) -> None:
    """dora, the first user and so the admin, then the others as dora adds them."""
    dora = add_user(session, name="dora", role="admin", password=PASSWORDS["dora"], by=None)
    session.flush()
    admin = SignedInUser(dora.id, dora.name, dora.role)
    for name, role in roles.items():
        add_user(session, name=name, role=role, password=PASSWORDS[name], by=admin)


def signed_in(ledger: Ledger, name: str) -> SignedInUser:
    """`name` after a real sign-in with their password from PASSWORDS."""
    return sign_in(ledger, name, PASSWORDS[name])


def audited(session: Session, *rows: Base) -> None:
    """Rows a test writes directly, with the audit event Kontor's own code would write for each."""
    session.add_all(rows)
    session.flush()
    for row in rows:
        audit.record_row(session, actor="setup", action="create", row=row)


@contextmanager
def opened_ledger(path: Path) -> Iterator[Ledger]:
    """make_ledger, closed afterwards (the test files wrap it in their `ledger` fixture)."""
    opened = make_ledger(path)
    try:
        yield opened
    finally:
        opened.close()


def add_history(ledger: Ledger, payments: list[tuple[date, str, str, Decimal, str]]) -> None:
    """Outgoing bookings (day, name, IBAN, amount, purpose) as if imported from earlier statements."""
    with ledger.writer() as session:
        account = session.query(BankAccount).one()
        for on, name, iban, amount, purpose in payments:
            audited(
                session,
                Transaction(account_id=account.id, booked_on=on, amount_cents=-int(amount * 100),
                            counterparty_name=name, counterparty_iban=iban, purpose=purpose)
            )  # fmt: skip
