"""What the screenshots and the language test need beyond the demo ledger: payment runs in every state worth
showing, and the booking a bookkeeper would map next. Built through the same services the user's actions call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.demobank.mt940_writer import statement
from app.demobank.state import Account, Booking
from app.models.schema import BankAccount, CompanySettings, Customer, Transaction
from app.models.states import BookingStatus, Reconciliation
from app.services.demo.data import DEMO_USERS, add_demo_users
from app.services.demo.setup import open_invoice_payments
from app.services.ledger.database import Ledger
from app.services.ledger.users import ledger_has_users
from app.services.payments.business_days import add_business_days
from app.services.payments.mandates import add_mandate
from app.services.payments.orders import create_debit, create_transfer
from app.services.payments.runs import submit_run
from app.services.statements.balances import accounts_overview


@dataclass(frozen=True)
class DemoScreens:
    """Ids the screenshot tour selects: a run waiting for approval, a draft run, a payment to map."""

    submitted_run_id: int
    draft_run_id: int
    open_payment_id: int | None


def prepare_demo_screens(ledger: Ledger, *, today: date | None = None) -> DemoScreens:
    """The bookkeeper prepares transfers and debits; the transfers wait for the boss's approval. Blocks."""
    today = today or date.today()
    if not ledger_has_users(ledger):
        add_demo_users(ledger)
    bookkeeper = DEMO_USERS[1][0]
    with ledger.session() as session:
        own = session.scalars(select(BankAccount.iban).order_by(BankAccount.id)).first()
        customers = [
            (customer.number, customer.name, customer.iban)
            for customer in session.scalars(select(Customer).where(Customer.iban != "").order_by(Customer.id).limit(4))
        ]
    payees = [
        ("Stahlhandel Franken GmbH", "DE02120300000000202051", "1840.50", "ER-2026-0412 Rundstahl"),
        ("Werkzeugbau Kaiser KG", "DE02100100100006820101", "612.80", "ER-2026-0418 Fräser"),
        ("Stadtwerke Nürnberg", "DE89370400440532013000", "389.00", "Kundennr. 55120 Strom"),
    ]
    first = None
    for name, iban, amount, text in payees:
        result = create_transfer(
            ledger, name=name, iban=iban, amount=amount, text=text, account_iban=own, actor=bookkeeper, today=today
        )
        first = first or result
    assert first is not None
    submit_run(ledger, first.run_id, actor=bookkeeper, today=today)
    draft = create_transfer(
        ledger,
        name="Druckerei Meier",
        iban="DE75512108001245126199",
        amount="240.00",
        text="Visitenkarten",
        execution_on=add_business_days(today, 10),  # two weeks ahead, never a weekend or TARGET2 holiday
        account_iban=own,
        actor=bookkeeper,
        today=today,
    )
    for index, (number, name, iban) in enumerate(customers[:2]):
        add_mandate(
            ledger,
            customer_number=number,
            reference=f"KONTOR-M-{index + 1:03d}",
            signed_on=today - timedelta(days=60),
            iban=iban,
            name=name,
            actor=bookkeeper,
            today=today,
        )
        create_debit(
            ledger,
            customer_number=number,
            amount="150.00",
            text="Wartungsvertrag",
            account_iban=own,
            actor=bookkeeper,
            today=today,
        )
    return DemoScreens(first.run_id, draft.run_id, open_incoming_payment(ledger))


def open_incoming_payment(ledger: Ledger) -> int | None:
    """The newest booked payment from a customer that no invoice covers yet, what Map is for; else the newest
    customer payment at all (Map then shows how it was assigned)."""
    with ledger.session() as session:
        own = select(BankAccount.iban)
        company = session.scalar(select(CompanySettings.name)) or ""
        return session.scalar(
            select(Transaction.id)
            .where(
                Transaction.amount_cents > 0,
                Transaction.status == BookingStatus.BOOKED.value,
                Transaction.counterparty_iban.not_in(own),
                Transaction.counterparty_name != company,
            )
            .order_by(
                (Transaction.reconciliation == Reconciliation.MATCHED.value).asc(),
                Transaction.booked_on.desc(),
                Transaction.id.desc(),
            )
            .limit(1)
        )


def demo_statement(ledger: Ledger, *, today: date | None = None) -> str:
    """The business account's next MT940 statement: a customer paying an open invoice in full, one paying part
    of another, and a refund no invoice explains. It opens at the ledger's balance and is dated the day after
    the demo's last bookings, whose balance the ledger already holds."""
    today = (today or date.today()) + timedelta(days=1)
    with ledger.session() as session:
        account = next(a for a in accounts_overview(session) if a.name == "Geschäftskonto")
    invoices = open_invoice_payments(ledger)[:2]
    bookings = [
        Booking(today, today, amount, name, iban, "", f"Rechnung {number}", "166", "GUTSCHRIFT", f"SCR{index}")
        for index, (number, name, iban, amount) in enumerate(invoices)
    ]
    if len(bookings) == 2:
        bookings[1].amount = (bookings[1].amount / 2).quantize(Decimal("0.01"))
        bookings[1].purpose += " Teilzahlung"
    bookings.append(
        Booking(today, today, Decimal("86.40"), "Hausverwaltung Lenz", "DE89370400440532013000", "",
                "Erstattung Nebenkosten 2025", "166", "GUTSCHRIFT", "SCR9")
    )  # fmt: skip
    own = Account(account.iban, "SSKNDE77XXX", account.iban[12:], account.name, "Girokonto", 1, account.balance)
    return statement(own, account.iban[4:12], bookings, account.balance, 1, today)
