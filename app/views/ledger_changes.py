"""The Qt side of server_changes: another workstation's commit makes the main window's pages reload.

A QSocketNotifier on the listener's own connection wakes the GUI thread only when a notification arrives, so
nothing is polled; a burst of commits (an import of many chunks) becomes one reload per DEBOUNCE_MS.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

from app.services.ledger.server_changes import ChangeListener, ChangeListenerError

log = logging.getLogger(__name__)

DEBOUNCE_MS = 750


class LedgerChangeWatcher(QObject):
    """Owns a ChangeListener and emits `changed` on the GUI thread, at most once per DEBOUNCE_MS."""

    changed = Signal()
    failed = Signal(str)  # the listening connection broke: the message says so; pages no longer refresh themselves

    def __init__(self, listener: ChangeListener, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.listener: ChangeListener | None = listener
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.changed)
        self._notifier = QSocketNotifier(listener.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_notifier_activated)

    def _on_notifier_activated(self) -> None:
        if self.listener is None:
            return
        try:
            changed = self.listener.changed()
        except ChangeListenerError as error:
            log.warning("%s", error)
            self.close()
            self.failed.emit(str(error))
            return
        if changed and not self._debounce.isActive():  # started, not restarted: a steady stream still refreshes
            self._debounce.start()

    def close(self) -> None:
        """Stop listening and close the connection; safe to call twice."""
        self._notifier.setEnabled(False)
        self._debounce.stop()
        if self.listener is not None:
            self.listener.close()
            self.listener = None
