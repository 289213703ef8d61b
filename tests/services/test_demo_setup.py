"""`kontor demo-run` without the GUI: the demo bank pays the ledger's open invoices, one connection follows its URL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from ledger_templates import new_ledger

from app.demobank import DEMO_BLZ, DEMO_LOGIN
from app.services.banking.connections import list_connections
from app.services.demo.data import DEMO_USERS, add_demo_users, create_demo_ledger
from app.services.demo.screens import prepare_demo_screens
from app.services.demo.setup import (
    RECENT_SLOTS,
    issue_dates,
    open_invoice_payments,
    paid_again,
    prepare_demo_bank,
)
from app.services.forecast.recurring import detect
from app.services.ledger.database import Ledger
from app.services.ledger.users import AuthenticationError, sign_in
from app.services.payments.business_days import is_business_day
from app.services.payments.runs import run_row


@pytest.fixture(scope="module")
def demo_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    ledger = new_ledger(tmp_path_factory.mktemp("demo") / "demo.kontor", "demo", company_name="Demo")
    create_demo_ledger(ledger, actor="test")
    yield ledger
    ledger.close()


def test_open_invoices_become_the_bank_customers_payments(demo_ledger: Ledger) -> None:
    """The latest open invoices (the ones the first sync's 90 days can hold) and one paid a second time."""
    payments = open_invoice_payments(demo_ledger)[-RECENT_SLOTS:] + paid_again(demo_ledger)
    assert payments and all(number.startswith("RE-") and iban.startswith("DE") for number, _n, iban, _a in payments)
    server = prepare_demo_bank(demo_ledger, actor="test")
    try:
        business = next(iter(server.bank.accounts))
        purposes = {booking.purpose for booking in server.bank.bookings(business)}
        assert all(f"{number} Vielen Dank" in purposes for number, *_rest in payments)
        issued = issue_dates(demo_ledger)
        paid_on = {
            booking.purpose.split()[0]: booking.booking_date
            for booking in server.bank.bookings(business)
            if booking.purpose.endswith("Vielen Dank")
        }
        early = {n: (issued[n], paid_on[n]) for n in paid_on if n in issued and paid_on[n] < issued[n]}
        assert early == {}  # nobody pays an invoice before it was written
        register = dict(server.bank.policy.vop_register)  # the payee check knows every customer by name
        assert server.bank.policy.vop and all(register[iban] == name for _number, name, iban, _a in payments)
    finally:
        server.stop()


def test_connection_is_made_once_and_follows_the_new_url(demo_ledger: Ledger) -> None:
    first = prepare_demo_bank(demo_ledger, actor="test")
    first.stop()
    second = prepare_demo_bank(demo_ledger, actor="test")
    try:
        [connection] = list_connections(demo_ledger)
        assert (connection.blz, connection.login, connection.url) == (DEMO_BLZ, DEMO_LOGIN, second.url)
        assert set(connection.accounts) == set(second.bank.accounts)
    finally:
        second.stop()


def test_demo_users_show_four_eyes(tmp_path) -> None:
    ledger = new_ledger(tmp_path / "users.kontor", "demo", company_name="Demo")
    try:
        add_demo_users(ledger)
        signed = {name: sign_in(ledger, name, password) for name, _role, password in DEMO_USERS}
        assert {name: user.role for name, user in signed.items()} == {"chef": "admin", "anna": "bookkeeper"}
        with pytest.raises(AuthenticationError):
            sign_in(ledger, "anna", "chef")
    finally:
        ledger.close()


@pytest.mark.parametrize("today", [date(2026, 12, 5), date(2026, 12, 11), date(2027, 3, 12), date(2027, 3, 26)])
def test_the_demo_made_on_any_day_dates_its_runs_right_and_forecasts_rent_and_wage_tax(tmp_path, today: date) -> None:
    """A Saturday, and Fridays two weeks before Christmas and Good Friday: the draft run's date, two weeks ahead,
    fell on a day TARGET2 is closed, and the screenshot tour could not start. Made on 26 March 2027 the demo's
    wage tax, drawn anew for every demo day, spread too widely to count as a series: no wage tax in the forecast."""
    ledger = new_ledger(tmp_path / "demo.kontor", "demo", company_name="Demo")
    try:
        create_demo_ledger(ledger, actor="test", today=today)
        with ledger.session() as session:
            names = {series.name for series in detect(session, today=today)}
        assert {"Grundstücksgesellschaft Südring KG", "Finanzamt Nürnberg-Süd"} <= names
        screens = prepare_demo_screens(ledger, today=today)
        draft = run_row(ledger, screens.draft_run_id)
        assert is_business_day(draft.execution_on)
        assert 10 <= (draft.execution_on - today).days <= 20
    finally:
        ledger.close()
