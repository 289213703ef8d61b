"""The Forecast page on the demo ledger: chart, weeks with their items, a warning, what-ifs, recurring bookings."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDialogButtonBox

from app.services.forecast.projection import forecast, notify_warnings
from app.services.forecast.settings import set_minimum
from app.services.formatting import format_amount, from_cents
from app.services.ledger.database import Ledger
from app.services.preferences import Preferences
from app.views.forecast_dialogs import CreditLineDialog, PlannedItemDialog
from app.views.forecast_page import ForecastPage
from app.views.jobs import JobRunner
from app.views.pages import PageContext
from app.views.sign_in_dialog import Identity
from app.views.unlock_dialog import UnlockedLedger

DEMO_PASSPHRASE = "demo"


def shown_page(qtbot, demo_ledger: Ledger, runner: JobRunner) -> ForecastPage:
    context = PageContext(
        UnlockedLedger(demo_ledger, DEMO_PASSPHRASE, "Demo"), runner, Preferences(language="en"), Identity()
    )
    page = ForecastPage(context)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    qtbot.waitUntil(lambda: page.result is not None, timeout=15_000)
    return page


def test_weeks_items_and_the_recurring_bookings_of_the_demo(
    qtbot, demo_ledger: Ledger, runner: JobRunner, tmp_path
) -> None:
    page = shown_page(qtbot, demo_ledger, runner)
    expected = forecast(demo_ledger)
    assert page.period_model.rowCount() == 13
    assert [page.period_model.row_at(n).closing_cents for n in range(13)] == [p.closing_cents for p in expected.periods]
    names = {page.series_model.row_at(n).name for n in range(page.series_model.rowCount())}
    assert {"Grundstücksgesellschaft Südring KG", "Finanzamt Nürnberg-Süd"} <= names  # rent and wage tax
    page.period_table.selectRow(3)
    assert page.item_model.rows() == list(expected.periods[3].items)
    assert len(page.limit_curve.getData()[1]) == 2  # the demo's credit line is drawn
    assert not page.warning_label.isVisible()
    page.grab().save(str(tmp_path / "forecast-page.png"))


def test_a_warning_selects_its_week_and_a_what_if_moves_money(qtbot, demo_ledger: Ledger, runner: JobRunner) -> None:
    set_minimum(demo_ledger, forecast(demo_ledger).periods[6].closing_cents + 1, actor="test")
    page = shown_page(qtbot, demo_ledger, runner)
    assert page.warning_label.isVisible() and "falls below the minimum of" in page.warning_label.text()
    selected = page.period_table.selectionModel().selectedRows()[0].row()
    assert page.period_model.row_at(selected).start == page.result.warnings[0].period_start
    first_week = page.period_model.row_at(0).closing_cents
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        page.late_spin.setValue(30)
    assert page.period_model.row_at(0).closing_cents < first_week  # receipts moved out of this week


def test_a_recurring_booking_is_dismissed(qtbot, demo_ledger: Ledger, runner: JobRunner) -> None:
    page = shown_page(qtbot, demo_ledger, runner)
    row = next(n for n in range(page.series_model.rowCount()) if page.series_model.row_at(n).name.startswith("Grund"))
    page.series_table.selectRow(row)
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        page.dismiss_button.click()
    rent = next(s for s in page.result.series if s.name.startswith("Grund"))
    assert rent.status == "dismissed"
    assert not any(i.text.startswith("Grund") for p in page.result.periods for i in p.items)


def test_a_planned_item_and_a_credit_line_are_entered_on_the_page(
    qtbot, demo_ledger: Ledger, runner: JobRunner, monkeypatch
) -> None:
    page = shown_page(qtbot, demo_ledger, runner)

    def plan_loan(dialog: PlannedItemDialog) -> int:
        dialog.date_edit.setDate(QDate.currentDate().addDays(10))
        dialog.amount_edit.setText("not money")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        assert not dialog.error.isHidden() and dialog.error.text() and dialog.result() == 0  # the form stays open
        dialog.amount_edit.setText("25000")
        dialog.text_edit.setText("Darlehen Sparkasse")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        return dialog.result()

    monkeypatch.setattr(PlannedItemDialog, "exec", plan_loan)
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        page.plan_button.click()
    planned = [i for p in page.result.periods for i in p.items if i.kind == "planned"]
    assert [(i.amount_cents, i.text) for i in planned] == [(2_500_000, "Darlehen Sparkasse")]

    def set_limit(dialog: CreditLineDialog) -> int:
        dialog.account_combo.setCurrentIndex(1)
        dialog.amount_edit.setText("20000")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        return dialog.result()

    monkeypatch.setattr(CreditLineDialog, "exec", set_limit)
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        page.credit_button.click()
    assert page.result.accounts[1].credit_line_cents == 2_000_000


def test_one_account_is_shown_on_its_own(qtbot, demo_ledger: Ledger, runner: JobRunner) -> None:
    page = shown_page(qtbot, demo_ledger, runner)
    savings = page.result.accounts[1]
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        page.account_combo.setCurrentIndex(page.account_combo.findData(savings.id))
    first = page.result.periods[0]
    shown = page.period_model.index(0, 3).data()
    assert first.closing_of(savings.id) != first.closing_cents
    assert shown == format_amount(from_cents(first.closing_of(savings.id)))
    page.period_table.selectRow(0)
    assert all(item.account_id == savings.id for item in page.item_model.rows())


def test_the_band_shows_how_far_earlier_forecasts_missed(qtbot, demo_ledger: Ledger, runner: JobRunner) -> None:
    notify_warnings(demo_ledger, today=date.today() - timedelta(days=21))  # a forecast kept three weeks ago
    page = shown_page(qtbot, demo_ledger, runner)
    assert page.result.accuracy is not None and page.band.isVisible()
    assert "week-ends compared" in page.accuracy_label.text()
    miss = page.result.accuracy.mean_abs_cents / 100
    low, high = page.band_low.getData()[1], page.band_high.getData()[1]
    assert abs((high[1] - low[1]) - 2 * miss) < 0.01
