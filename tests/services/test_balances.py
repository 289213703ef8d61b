"""Balances from snapshots and bookings, checked against values worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import insert

from app.models.schema import BalanceSnapshot, BankAccount, Transaction
from app.services.ledger.database import Ledger
from app.services.statements.balances import accounts_overview, daily_balances, total_balance

PASS = "Korrekt Pferd Batterie Heftklammer"
D = Decimal


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = new_ledger(tmp_path / "b.kontor", PASS, company_name="Test GmbH")
    with ledger.session() as session, session.begin():
        giro = BankAccount(iban="DE02120300000000202051", bank_name="Sparkasse", name="Giro")
        savings = BankAccount(iban="DE89370400440532013000", bank_name="Sparkasse", name="Tagesgeld")
        empty = BankAccount(iban="DE75512108001245126199", bank_name="Volksbank", name="Neu")
        session.add_all([giro, savings, empty])
        session.flush()
        # Giro: one snapshot in the middle (end of 10 Jan: 1,000.00); bookings before and after it.
        session.add(BalanceSnapshot(account_id=giro.id, balance_on=date(2026, 1, 10), amount_cents=100_000))
        # Savings: no snapshot at all, starts from zero.
        rows = [
            (giro.id, date(2026, 1, 5), 20_000, "booked"),
            (giro.id, date(2026, 1, 5), -5_000, "booked"),
            (giro.id, date(2026, 1, 10), 7_500, "booked"),  # already inside the 10 Jan snapshot
            (giro.id, date(2026, 1, 12), -30_000, "booked"),
            (giro.id, date(2026, 1, 12), -99_999, "replaced"),
            (giro.id, date(2026, 1, 13), -1_000, "pending"),
            (giro.id, date(2026, 1, 20), 2_550, "booked"),
            (savings.id, date(2026, 1, 8), 50_000, "booked"),
            (savings.id, date(2026, 1, 12), 10_000, "booked"),
        ]
        session.execute(
            insert(Transaction),
            [{"account_id": a, "booked_on": d, "amount_cents": c, "status": s} for a, d, c, s in rows],
        )
    return ledger


def _ids(ledger: Ledger) -> dict[str, int]:
    with ledger.session() as session:
        return {s.name: s.account_id for s in accounts_overview(session)}


def test_daily_balances_walk_back_and_forth_from_the_snapshot(ledger: Ledger) -> None:
    ids = _ids(ledger)
    with ledger.session() as session:
        assert daily_balances(session, ids["Giro"]) == [
            (date(2026, 1, 4), D("775.00")),  # opening: 1,000 - 75 - (200 - 50)
            (date(2026, 1, 5), D("925.00")),
            (date(2026, 1, 10), D("1000.00")),
            (date(2026, 1, 12), D("700.00")),
            (date(2026, 1, 20), D("725.50")),
        ]
        assert daily_balances(session, ids["Tagesgeld"]) == [
            (date(2026, 1, 7), D("0.00")),
            (date(2026, 1, 8), D("500.00")),
            (date(2026, 1, 12), D("600.00")),
        ]
        assert daily_balances(session, ids["Neu"]) == []


def test_total_adds_each_accounts_balance_in_force(ledger: Ledger) -> None:
    with ledger.session() as session:
        total = dict(daily_balances(session, None))
    assert total[date(2026, 1, 4)] == D("775.00")  # savings has not started: its opening balance is 0
    assert total[date(2026, 1, 8)] == D("1425.00")
    assert total[date(2026, 1, 12)] == D("1300.00")
    assert total[date(2026, 1, 20)] == D("1325.50")


def test_later_snapshot_resets_the_walk(ledger: Ledger) -> None:
    ids = _ids(ledger)
    with ledger.session() as session, session.begin():
        session.add(BalanceSnapshot(account_id=ids["Giro"], balance_on=date(2026, 1, 15), amount_cents=60_000))
    with ledger.session() as session:
        points = dict(daily_balances(session, ids["Giro"]))
        assert points[date(2026, 1, 15)] == D("600.00")
        assert points[date(2026, 1, 20)] == D("625.50")
        giro = next(s for s in accounts_overview(session) if s.name == "Giro")
        assert giro.balance == D("625.50") and giro.updated_on == date(2026, 1, 20)


def test_accounts_overview_is_snapshot_plus_later_bookings(ledger: Ledger) -> None:
    with ledger.session() as session:
        summaries = {s.name: s for s in accounts_overview(session)}
    assert summaries["Giro"].balance == D("1000.00") - D("300.00") + D("25.50")  # pending and replaced ignored
    assert summaries["Giro"].updated_on == date(2026, 1, 20)
    assert summaries["Tagesgeld"].balance == D("600.00")
    assert summaries["Neu"].balance == D("0.00") and summaries["Neu"].updated_on is None
    assert summaries["Giro"].iban == "DE02120300000000202051" and summaries["Giro"].bank_name == "Sparkasse"
    assert total_balance(list(summaries.values())) == D("1325.50")
