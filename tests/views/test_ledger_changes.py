"""Two workstations on one server ledger: what one imports shows in the other's open window by itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import server_url
from pg_cluster import Cluster
from statement_files import Booking, camt053

from app.services.ledger.server import create_server, open_server
from app.services.preferences import Preferences
from app.services.statements.importing import import_statement_files
from app.views.jobs import JobRunner
from app.views.main_window import MainWindow
from app.views.pages import Page
from app.views.transactions_page import TransactionsPage
from app.views.unlock_dialog import UnlockedLedger

pytestmark = pytest.mark.server
IBAN = "DE89370400440532013000"


@pytest.fixture
def window(qtbot, pg_cluster: Cluster, runner: JobRunner, preferences: Preferences) -> Iterator[MainWindow]:
    url = server_url(pg_cluster)
    create_server(url, company_name="Zwei Plätze GmbH").close()
    unlocked = UnlockedLedger(open_server(url), "", "Zwei Plätze GmbH", server_url=url)
    main = MainWindow(unlocked, runner=runner, preferences=preferences)
    qtbot.addWidget(main)
    main.show()
    yield main
    main.close_quietly()


def test_an_import_on_another_workstation_shows_in_the_open_window(qtbot, window: MainWindow, tmp_path: Path) -> None:
    qtbot.waitUntil(lambda: window.change_watcher is not None, timeout=10_000)
    window.show_page(Page.TRANSACTIONS)
    page = window.pages[Page.TRANSACTIONS]
    assert isinstance(page, TransactionsPage)
    qtbot.waitUntil(lambda: page.model.rowCount() == 0)

    statement = tmp_path / "march.xml"
    bookings = [Booking(date(2026, 3, 2), Decimal("1190.00"), "Müller Metallbau GmbH", IBAN, "Rechnung RE-42")]
    statement.write_text(camt053(IBAN, bookings, opening=Decimal("0")), encoding="utf-8")
    with open_server(window.unlocked.server_url) as other:  # the other workstation: a ledger object of its own
        import_statement_files(other, [statement], actor="bob")

    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10_000)
    assert "another workstation" in window.statusBar().currentMessage()

    watcher = window.change_watcher
    window.close_ledger()  # locking stops listening and closes its connection
    assert watcher is not None and watcher.listener is None
