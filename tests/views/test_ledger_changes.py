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

from app.services.ledger.server import ServerAddress, create_server, open_server
from app.services.preferences import Preferences
from app.services.statements.importing import import_statement_files
from app.views import main_window
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


def _import_elsewhere(window: MainWindow, folder: Path, name: str, purpose: str) -> None:
    """Another workstation (a ledger object of its own) imports one booking."""
    statement = folder / name
    bookings = [Booking(date(2026, 3, 2), Decimal("1190.00"), "Müller Metallbau GmbH", IBAN, purpose)]
    statement.write_text(camt053(IBAN, bookings, opening=Decimal("0")), encoding="utf-8")
    assert window.unlocked.server_url is not None
    with open_server(window.unlocked.server_url) as other:
        import_statement_files(other, [statement], actor="bob")


def test_a_broken_listening_connection_is_made_again_and_catches_up(
    qtbot, window: MainWindow, pg_cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server ends the listening connection (a restart, a network cut): the window says so, connects again
    after a while, and then shows what another workstation imported while nobody listened."""
    monkeypatch.setattr(main_window, "LISTEN_RETRY_MS", (1_500, 100))
    qtbot.waitUntil(lambda: window.change_watcher is not None, timeout=10_000)
    window.show_page(Page.TRANSACTIONS)
    page = window.pages[Page.TRANSACTIONS]
    assert isinstance(page, TransactionsPage)
    qtbot.waitUntil(lambda: page.model.rowCount() == 0)

    pg_cluster.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN kontor_changes'")
    qtbot.waitUntil(lambda: window.change_watcher is None, timeout=10_000)
    assert "reconnecting in 1 s" in window.statusBar().currentMessage()
    _import_elsewhere(window, tmp_path, "while-away.xml", "Rechnung RE-42")  # announced to nobody
    qtbot.waitUntil(lambda: window.change_watcher is not None, timeout=10_000)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10_000)
    assert "Reconnected" in window.statusBar().currentMessage()

    _import_elsewhere(window, tmp_path, "after.xml", "Rechnung RE-43")  # the new connection hears this one
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=10_000)
    assert "another workstation" in window.statusBar().currentMessage()


def test_locking_stops_connecting_again(
    qtbot, window: MainWindow, pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    monkeypatch.setattr(main_window, "LISTEN_RETRY_MS", (300,))
    qtbot.waitUntil(lambda: window.change_watcher is not None, timeout=10_000)
    pg_cluster.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN kontor_changes'")
    qtbot.waitUntil(lambda: window.change_watcher is None, timeout=10_000)
    window.close_ledger()
    qtbot.wait(1_000)  # more than the wait before another attempt
    assert window.change_watcher is None
    address = ServerAddress.parse(window.unlocked.server_url or "")
    with psycopg.connect(**address.connect_arguments(None), autocommit=True) as raw:
        listening = raw.execute("SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN kontor_changes'")
        assert listening.fetchone() == (0,)
