"""The one place where errors reach the user: a short message and where the details are, never a traceback."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.services.errors import KontorError
from app.services.i18n import _
from app.services.logs import setup_logging
from app.services.os_errors import file_error
from app.services.paths import log_dir

log = logging.getLogger(__name__)

# Errors whose message is written for the user; anything else is a bug and gets a traceback in the log.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (KontorError, OSError)

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], None]


def log_path() -> Path:
    """The file Kontor's log handler writes to (set up by `setup_logging`)."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, "kontor", False):
            return Path(handler.baseFilename)  # type: ignore[attr-defined]
    return log_dir() / "kontor.log"


def ensure_logging() -> Path:
    """The CLI sets up logging before the GUI starts; a direct `run_gui` call must get a log file too."""
    if any(getattr(handler, "kontor", False) for handler in logging.getLogger().handlers):
        return log_path()
    return setup_logging()


def is_user_error(error: BaseException) -> bool:
    """Whether the error's text is written for the user (a KontorError or the file system's own message)."""
    return isinstance(error, EXPECTED_ERRORS)


def error_message(error: BaseException) -> str:
    """One line for the user; unexpected errors are logged with their traceback here."""
    if is_user_error(error):
        log.warning("%s", error)
        return file_error(error) if isinstance(error, OSError) else str(error) or type(error).__name__
    log.error("unexpected error", exc_info=(type(error), error, error.__traceback__))
    return _("An unexpected error occurred in Kontor ({error}).").format(error=type(error).__name__)


def present_error(error: BaseException, *, parent: QWidget | None = None, title: str = "") -> None:
    """Show a service or unexpected error; blocks in a nested event loop until the user closes it."""
    text = error_message(error)
    box = QMessageBox(
        QMessageBox.Icon.Warning if is_user_error(error) else QMessageBox.Icon.Critical,
        title or _("Kontor"),
        text,
        QMessageBox.StandardButton.Ok,
        parent or QApplication.activeWindow(),
    )
    box.setInformativeText(_("Details are in the log: {path}").format(path=log_path()))
    box.exec()


def install_excepthook() -> ExceptHook:
    """Route uncaught exceptions in slots to the presenter; returns the previous hook to restore on exit."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], error: BaseException, traceback: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, error, traceback)
            return
        present_error(error.with_traceback(traceback))

    sys.excepthook = hook
    return previous
