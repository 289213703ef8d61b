"""Other workstations' changes reach a server ledger's listener: a commit that wrote notifies, with nothing secret
in it; the ledger object's own commits, reads and rolled-back writes do not wake it."""

from __future__ import annotations

import select
from collections.abc import Iterator

import pytest
from ledger_templates import server_url
from pg_cluster import Cluster

from app.models.schema import CompanySettings
from app.services.ledger.server import ServerLedger, create_server, open_server
from app.services.ledger.server_changes import ChangeListener

pytestmark = pytest.mark.server


@pytest.fixture
def workstations(pg_cluster: Cluster) -> Iterator[tuple[ServerLedger, ServerLedger]]:
    url = server_url(pg_cluster)
    create_server(url, company_name="Zwei Plätze GmbH").close()
    with open_server(url) as first, open_server(url) as second:
        yield first, second


def _woken(listener: ChangeListener, seconds: float) -> bool:
    """Whether another workstation's commit arrives within `seconds` (select() on the listener's socket)."""
    readable, _w, _x = select.select([listener.fileno()], [], [], seconds)
    return bool(readable) and listener.changed()


def _rename(ledger: ServerLedger, name: str) -> None:
    with ledger.writer() as session:
        settings = session.query(CompanySettings).one()
        settings.name = name


def test_a_write_on_one_workstation_wakes_the_listener_of_the_other(
    workstations: tuple[ServerLedger, ServerLedger],
) -> None:
    first, second = workstations
    listener = second.listen_for_changes()
    try:
        assert not _woken(listener, 0.2)
        _rename(first, "Umbenannt GmbH")
        assert _woken(listener, 10)
        assert second.company_name() == "Umbenannt GmbH"
        assert not _woken(listener, 0.2)  # read once, not again

        _rename(second, "Eigene Änderung GmbH")  # this workstation's own commit: its pages refresh anyway
        with first.session() as session:  # a read commits nothing
            session.query(CompanySettings).one()
        with pytest.raises(RuntimeError), first.writer() as session:  # rolled back: nothing happened
            session.query(CompanySettings).one().name = "Nie"
            session.flush()
            raise RuntimeError
        assert not _woken(listener, 0.5)

        with first.session() as session, session.begin():  # a plain session that writes notifies too
            session.query(CompanySettings).one().name = "Ohne writer GmbH"
        assert _woken(listener, 10)
    finally:
        listener.close()


def test_the_notification_carries_only_a_random_origin(workstations: tuple[ServerLedger, ServerLedger]) -> None:
    import psycopg

    first, second = workstations
    with psycopg.connect(**second.address.connect_arguments(None), autocommit=True) as raw:
        raw.execute("LISTEN kontor_changes")
        _rename(first, "Geprüft GmbH")
        [notification] = list(raw.notifies(timeout=10, stop_after=1))
    assert len(notification.payload) == 16 and int(notification.payload, 16) >= 0
    assert "Geprüft" not in notification.payload and first.address.user not in notification.payload
