"""The cash forecast on a real ledger: recurring bookings found, invoices at the customer's pace, the credit-line
warning with its week and drivers, what-ifs, and every week explained by its items."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import select
from statement_files import Booking, mt940

from app.models.schema import AuditEvent, Notification
from app.services.forecast.projection import Scenario, forecast, notify_warnings
from app.services.forecast.settings import PlannedItem, decide, plan, set_credit_line
from app.services.ledger.database import Ledger
from app.services.matching import PAYABLE
from app.services.reconciliation.import_and_match import import_invoices_and_match
from app.services.statements.importing import import_statement_files

OWN = "DE89370400440532013000"
TODAY = date(2026, 7, 10)
RECEIVABLES = """Rechnungsnummer;Kunde;Kundennummer;IBAN;Rechnungsdatum;Fällig am;Betrag brutto
RE-2026-0001;Müller Feinmechanik GmbH;K10001;DE02120300000000202051;15.04.2026;01.05.2026;1.000,00
RE-2026-0002;Müller Feinmechanik GmbH;K10001;DE02120300000000202051;06.07.2026;20.07.2026;5.000,00
"""
PAYABLES = """Rechnungsnummer;Kunde;Kundennummer;IBAN;Rechnungsdatum;Fällig am;Betrag brutto
ER-7781;Stahlhandel Franken GmbH;L20001;DE12500105170648489890;01.07.2026;15.07.2026;8.000,00
"""


def _history() -> list[Booking]:
    bookings = [Booking(date(2026, 1, 1), Decimal("40000.00"), "Einlage", OWN, "Start")]
    for month in range(1, 8):  # the landlord's account changed twice: the name makes the series
        iban = ("DE44500105175407324931", "DE75512108001245126199", "DE02100500000054540402")[month % 3]
        bookings.append(
            Booking(date(2026, month, 1), Decimal("-2000.00"), "Hausverwaltung Süd KG", iban, f"Miete {month}")
        )
    for month in range(1, 7):
        bookings.append(Booking(date(2026, month, 28), Decimal("-3000.00"), "Anna Wolf", "DE27100777770209299700",
                                f"Gehalt {month}/2026"))  # fmt: skip
    bookings.append(Booking(date(2026, 5, 11), Decimal("1000.00"), "Müller Feinmechanik GmbH", "DE02120300000000202051",
                            "RE-2026-0001"))  # fmt: skip
    return sorted(bookings, key=lambda booking: booking.on)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = new_ledger(tmp_path / "plan.kontor", "pw", company_name="Brenner GmbH")
    (tmp_path / "konto.sta").write_text(mt940(OWN, _history(), opening=Decimal("0")), encoding="utf-8")
    import_statement_files(ledger, [tmp_path / "konto.sta"], actor="anna")
    (tmp_path / "re.csv").write_text(RECEIVABLES, encoding="utf-8")
    (tmp_path / "er.csv").write_text(PAYABLES, encoding="utf-8")
    import_invoices_and_match(ledger, tmp_path / "re.csv", actor="anna")  # RE-2026-0001 was paid 10 days late
    import_invoices_and_match(ledger, tmp_path / "er.csv", kind=PAYABLE, actor="anna")
    yield ledger
    ledger.close()


def items_of(result, kind: str) -> list[tuple[date, int, str]]:  # noqa: ANN001
    return [(item.on, item.amount_cents, item.text) for p in result.periods for item in p.items if item.kind == kind]


def test_recurring_bookings_are_found_and_continued(ledger: Ledger) -> None:
    result = forecast(ledger, today=TODAY)
    assert [(s.name, s.period, s.amount_cents, s.count) for s in result.series] == [
        ("Anna Wolf", "monthly", -300_000, 6),
        ("Hausverwaltung Sued KG", "monthly", -200_000, 7),
    ]
    assert [(on, cents) for on, cents, _text in items_of(result, "recurring")][:4] == [
        (date(2026, 7, 28), -300_000),
        (date(2026, 8, 1), -200_000),
        (date(2026, 8, 28), -300_000),
        (date(2026, 9, 1), -200_000),
    ]


def test_invoices_come_at_the_customers_pace_and_every_week_adds_up(ledger: Ledger) -> None:
    result = forecast(ledger, today=TODAY)
    assert items_of(result, "receivable") == [(date(2026, 7, 30), 500_000, "RE-2026-0002 Müller Feinmechanik GmbH")]
    assert items_of(result, "payable") == [(date(2026, 7, 15), -800_000, "ER-7781 Stahlhandel Franken GmbH")]
    assert result.opening_cents == 900_000
    balance = result.opening_cents
    for period in result.periods:
        assert period.opening_cents == balance
        balance += sum(item.amount_cents for item in period.items)
        assert period.closing_cents == balance  # nothing in a week's figure that its items do not show
    assert len(result.periods) == 13 and result.periods[0].start == TODAY


def test_falling_below_the_credit_line_names_the_week_and_what_drives_it(ledger: Ledger) -> None:
    account_id = forecast(ledger, today=TODAY).accounts[0].id
    set_credit_line(ledger, account_id, 100_000, actor="anna")
    [warning] = forecast(ledger, today=TODAY).warnings
    assert warning.period_start == date(2026, 8, 28)
    assert warning.text.startswith("Commerzbank falls below its credit line of €1,000.00 in the week from 2026-08-28")
    assert "Anna Wolf (-€3,000.00)" in warning.text and "Hausverwaltung Süd KG" not in warning.text
    assert "Hausverwaltung Sued KG (-€2,000.00)" in warning.text
    # what if Müller pays a month later: the gap comes in July already
    [late] = forecast(ledger, today=TODAY, scenario=Scenario(customer_delays={1: 30})).warnings
    assert late.period_start == date(2026, 7, 24)
    # a planned loan and a dismissed series change the picture
    plan(ledger, PlannedItem(date(2026, 8, 20), 1_000_000, "Darlehen Sparkasse"), actor="anna")
    assert forecast(ledger, today=TODAY).warnings == ()
    decide(ledger, forecast(ledger, today=TODAY).series[1].key, "dismissed", actor="anna")
    assert [text for _on, _cents, text in items_of(forecast(ledger, today=TODAY), "recurring")] == ["Anna Wolf"] * 3


def test_a_twelve_month_view_uses_calendar_months(ledger: Ledger) -> None:
    result = forecast(ledger, today=TODAY, months=12)
    assert [(p.start, p.end) for p in result.periods[:2]] == [
        (TODAY, date(2026, 7, 31)),
        (date(2026, 8, 1), date(2026, 8, 31)),
    ]
    assert len(result.periods) == 12 and result.periods[-1].end == date(2027, 6, 30)


def test_a_warning_is_notified_once(ledger: Ledger) -> None:
    set_credit_line(ledger, forecast(ledger, today=TODAY).accounts[0].id, 100_000, actor="anna")
    assert notify_warnings(ledger, today=TODAY) == 1
    assert notify_warnings(ledger, today=TODAY) == 0  # the same warning in the same words: not again
    with ledger.session() as session:
        [message] = session.scalars(select(Notification.message).where(Notification.kind == "forecast")).all()
    assert "falls below its credit line" in message


def test_earlier_forecasts_are_judged_against_what_happened(ledger: Ledger) -> None:
    assert forecast(ledger, today=TODAY).accuracy is None  # nothing kept yet
    notify_warnings(ledger, today=TODAY)  # after an import: the forecast of 10 July is kept
    later = forecast(ledger, today=date(2026, 8, 1))
    # predicted week-ends 16, 23 and 30 July: 1,000, 1,000 and 3,000 €; the books still show 9,000 € (nothing paid)
    assert later.accuracy is not None
    assert (later.accuracy.compared, later.accuracy.mean_abs_cents, later.accuracy.mean_cents) == (
        3,
        733_333,
        -733_333,
    )


def test_the_forecast_is_kept_once_a_day(ledger: Ledger) -> None:
    def settings_events() -> int:
        with ledger.session() as session:
            return len(session.scalars(select(AuditEvent.id).where(AuditEvent.summary.startswith("forecast of"))).all())

    notify_warnings(ledger, today=TODAY)
    notify_warnings(ledger, today=TODAY)  # a second import that day
    assert settings_events() == 1
    notify_warnings(ledger, today=date(2026, 7, 11))
    assert settings_events() == 2
