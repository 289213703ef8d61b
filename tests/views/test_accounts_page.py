"""The Accounts page on a demo ledger: balances as the service computes them, charts with data, hover read-out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from app.services.demo.data import create_demo_ledger
from app.services.formatting import format_amount, grouped_iban
from app.services.ledger.database import Ledger
from app.services.statements.balances import accounts_overview, daily_balances
from app.views.account_table_model import AccountColumn, AccountIdRole, AccountTableModel, BalanceRole
from app.views.accounts_page import EMPTY_TEXT, AccountsPage
from app.views.balance_chart import chart_x

PASS = "Korrekt Pferd Batterie Heftklammer"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    ledger = new_ledger(tmp_path_factory.mktemp("demo") / "demo.kontor", PASS, company_name="Demo")
    create_demo_ledger(ledger, actor="test", today=date(2026, 6, 30))
    yield ledger
    ledger.close()


@pytest.fixture
def page(qtbot: QtBot, demo: Ledger) -> AccountsPage:
    page = AccountsPage(demo)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    qtbot.waitUntil(lambda: page.chart is not None and len(page.chart.points) > 0, timeout=10000)
    return page


def test_model_passes_the_model_tester(qtmodeltester: object, demo: Ledger) -> None:
    model = AccountTableModel()
    with demo.session() as session:
        summaries = accounts_overview(session)
    model.set_accounts(summaries, sum(s.balance for s in summaries))
    qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_lists_two_accounts_with_the_services_balances(page: AccountsPage, demo: Ledger) -> None:
    with demo.session() as session:
        expected = {s.account_id: s.balance for s in accounts_overview(session)}
    model = page.model
    assert model.rowCount() == 3  # "All accounts" and two accounts
    shown = {model.index(r, 0).data(AccountIdRole): model.index(r, 0).data(BalanceRole) for r in range(1, 3)}
    assert shown == expected
    assert model.index(0, AccountColumn.BALANCE).data(BalanceRole) == sum(expected.values())
    assert model.index(0, AccountColumn.NAME).data() == "All accounts"
    iban = model.index(1, AccountColumn.IBAN).data()
    assert iban.startswith("DE") and all(len(group) == 4 for group in iban.split()[:-1])
    assert "2 accounts, total" in page.total_label.text()


def test_selecting_an_account_shows_its_chart(qtbot: QtBot, page: AccountsPage, demo: Ledger) -> None:
    assert page.chart is not None
    total_points = len(page.chart.points)
    with qtbot.waitSignal(page.chart_loaded, timeout=5000):
        page.table.selectRow(2)
    account_id = page.selected_account_id()
    with demo.session() as session:
        expected = daily_balances(session, account_id)
    assert len(page.chart.points) == len(expected) > 10
    assert total_points >= len(expected)
    assert "Balance of" in page.chart_title.text()


def test_hover_readout_names_date_and_amount(qtbot: QtBot, page: AccountsPage) -> None:
    chart = page.chart
    assert chart is not None
    day, amount = chart.points[len(chart.points) // 2]
    x = chart_x(day)
    chart.show_readout_at(x)
    assert chart.readout.text() == f"{day.isoformat()}: {format_amount(amount)}"
    assert chart.v_line.isVisible()
    # A real mouse move over the plot goes through the scene's signal to the same read-out.
    chart.readout.clear()
    view_box = chart.plot.getPlotItem().vb
    scene_point = view_box.mapViewToScene(QPointF(x, float(amount)))
    chart.plot.scene().sigMouseMoved.emit(scene_point)
    qtbot.waitUntil(lambda: chart.readout.text().startswith(day.isoformat()[:7]), timeout=2000)


def test_range_buttons_zoom(page: AccountsPage) -> None:
    chart = page.chart
    assert chart is not None
    chart.range_buttons["Month"].click()
    (start, end), _y = chart.plot.getPlotItem().vb.viewRange()
    assert 28 <= (end - start) / 86_400 <= 33
    chart.range_buttons["All"].click()
    (start, end), _y = chart.plot.getPlotItem().vb.viewRange()
    assert (end - start) / 86_400 > 300


def test_grouped_iban() -> None:
    assert grouped_iban("DE02120300000000202051") == "DE02 1203 0000 0000 2020 51"


def test_empty_ledger_shows_the_empty_state(qtbot: QtBot, tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path / "empty.kontor", PASS, company_name="Leer")
    page = AccountsPage(ledger)
    qtbot.addWidget(page)
    qtbot.waitSignal(page.loaded, timeout=5000).wait()
    assert page.stack.currentWidget() is page.empty_label
    assert page.empty_label.text() == EMPTY_TEXT
    ledger.close()


def test_an_account_gets_a_name_of_its_own(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = new_ledger(tmp_path / "own.kontor", PASS, company_name="Demo")
    try:
        create_demo_ledger(ledger, actor="test", today=date(2026, 3, 2))
        page = AccountsPage(ledger)
        qtbot.addWidget(page)
        qtbot.waitSignal(page.loaded, timeout=5000).wait()
        page.table.selectRow(1)
        assert page.rename_button.isEnabled()
        monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("  Tagesgeld   Sparkasse ", True))
        with qtbot.waitSignal(page.ledger_changed, timeout=5000):
            page.rename_button.click()
        qtbot.waitUntil(lambda: "Tagesgeld Sparkasse" in {s.name for s in _overview(ledger)}, timeout=5000)
    finally:
        ledger.close()


def _overview(ledger: Ledger) -> list:
    with ledger.session() as session:
        return accounts_overview(session)
