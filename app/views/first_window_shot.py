"""`kontor gui --screenshot FILE`: a picture of the first window, then quit.

For checking an installation (the frozen bundle's smoke test: Qt plugins, style, icons and fonts all load) and
for measuring start-up: the line printed at the first paint is what `bench.process_bench` times. The picture is
taken a moment later, so pages that load in the background have filled in.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

SETTLE_MS = 1500


class FirstWindowShot(QObject):
    """Watches the application's events for the first painted top-level window."""

    def __init__(self, app: QApplication, path: Path, *, settle_ms: int = SETTLE_MS) -> None:
        super().__init__(app)
        self._app = app
        self._path = path
        self._settle_ms = settle_ms
        self._window: QWidget | None = None
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if self._window is None and event.type() == QEvent.Type.Paint and isinstance(watched, QWidget):
            if watched.isWindow():
                self._window = watched
                print(f"first window painted: {type(watched).__name__}", flush=True)
                QTimer.singleShot(self._settle_ms, self._save)
        return False

    def _save(self) -> None:
        assert self._window is not None
        self._path.parent.mkdir(parents=True, exist_ok=True)
        saved = self._window.grab().save(str(self._path))
        print(f"wrote {self._path}" if saved else f"could not write {self._path}", flush=True)
        self._app.exit(0 if saved else 1)
