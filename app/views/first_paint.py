"""Show first, load after: work that starts once a widget is on screen, so that a worker loading the service stack
(SQLAlchemy, SQLCipher, the keyring) does not hold the GIL while the first window is being built and painted."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

FALLBACK_MS = 300  # a widget that is never painted (hidden, minimised at start) still gets its work done


class _AfterFirstPaint(QObject):
    def __init__(self, widget: QWidget, callback: Callable[[], None], fallback_ms: int) -> None:
        super().__init__(widget)
        self._widget = widget
        self._callback: Callable[[], None] | None = callback
        widget.installEventFilter(self)
        QTimer.singleShot(fallback_ms, self, self._run)  # with self as context: dropped if the widget goes

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint and self._callback is not None:
            QTimer.singleShot(0, self, self._run)  # after the paint has been handled
        return False

    def _run(self) -> None:
        callback, self._callback = self._callback, None
        if callback is not None:
            self._widget.removeEventFilter(self)
            callback()


def after_first_paint(widget: QWidget, callback: Callable[[], None], *, fallback_ms: int = FALLBACK_MS) -> None:
    """Call `callback` on the GUI thread right after `widget` is first painted, or after `fallback_ms` at the latest;
    never if the widget is deleted first."""
    _AfterFirstPaint(widget, callback, fallback_ms)
