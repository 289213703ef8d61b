"""Other workstations' changes to a server ledger, as PostgreSQL notifications (LISTEN/NOTIFY).

Every transaction that writes to a server ledger sends a notification on CHANNEL as it commits (server.py); the
notification carries only the writing ledger object's random origin token, so a workstation can tell its own
commits from the others'. A ChangeListener reads them on a connection of its own, without polling any table.
Qt-free: the GUI watches `fileno()` (app/views/ledger_changes.py) and calls `changed()` when it is readable.
"""

from __future__ import annotations

import logging
from typing import Any

from app.services.i18n import _
from app.services.ledger.database import LedgerError

log = logging.getLogger(__name__)

CHANNEL = "kontor_changes"
NOTIFY = f"SELECT pg_notify('{CHANNEL}', %s)"


class ChangeListenerError(LedgerError):
    """The listening connection broke (server restart, network); pages no longer refresh by themselves."""


class ChangeListener:
    """Listens on a dedicated psycopg connection in autocommit mode; not thread-safe, use it from one thread."""

    def __init__(self, connection: Any, *, origin: str, url: str) -> None:
        self._connection = connection
        self._origin = origin
        self._url = url
        connection.execute(f"LISTEN {CHANNEL}")

    def fileno(self) -> int:
        """The socket that becomes readable when a notification arrives (for select() or a QSocketNotifier)."""
        return int(self._connection.pgconn.socket)

    def changed(self) -> bool:
        """Reads what has arrived without blocking: True if another ledger object (another workstation) committed."""
        pgconn = self._connection.pgconn
        try:
            pgconn.consume_input()
        except Exception as error:  # psycopg.OperationalError: the connection is gone
            raise ChangeListenerError(
                _("{url}: the connection that listens for other workstations' changes broke ({reason})").format(
                    url=self._url, reason=str(error).strip().splitlines()[0] if str(error).strip() else error
                )
            ) from None
        others = False
        while (notification := pgconn.notifies()) is not None:
            others = others or notification.extra.decode() != self._origin
        return others

    def close(self) -> None:
        self._connection.close()
