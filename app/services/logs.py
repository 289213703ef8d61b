"""A rotating log file in the user log directory; secrets never reach it, and user text cannot forge its lines."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path
from typing import IO, Any

from app.services.paths import log_dir
from app.services.private_files import open_private, private_dir, tighten

LOG_NAME = "kontor.log"
CONTINUATION = "    "  # every line of a traceback after the record's first line starts with it

# C0 and C1 control characters, DEL and the Unicode line and paragraph separators: one line per record stays one line
_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_CONTROLS |= {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def escape_controls(text: str) -> str:
    """Control characters as visible escapes: a counterparty named "x\\n2026-… INFO …" cannot add a log line."""
    return text.translate(_CONTROLS)


class SafeFormatter(logging.Formatter):
    """Escapes control characters in the message; a traceback's lines are indented, so none looks like a record."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        return escape_controls(super().formatMessage(record))

    def format(self, record: logging.LogRecord) -> str:
        first, *rest = super().format(record).split("\n")
        return "\n".join([first, *(CONTINUATION + escape_controls(line) for line in rest)])


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose files are 0600 (renaming on rollover keeps the mode)."""

    def _open(self) -> IO[Any]:  # type: ignore[override]  # typeshed wants a TextIOWrapper; ours is one
        return open_private(Path(self.baseFilename), self.mode, encoding=self.encoding, errors=self.errors)


def setup_logging(*, debug: bool = False, directory: Path | None = None) -> Path:
    """Log to kontor.log (5 × 2 MiB); python-fints stays at INFO because DEBUG dumps whole messages."""
    folder = private_dir(directory or log_dir())
    path = folder / LOG_NAME
    for old in folder.glob(LOG_NAME + "*"):  # an older Kontor left its logs readable for everyone
        tighten(old)
    handler = PrivateRotatingFileHandler(path, maxBytes=2 * 1024 * 1024, backupCount=5, encoding="utf-8")
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    root = logging.getLogger()
    for previous in [h for h in root.handlers if getattr(h, "kontor", False)]:
        root.removeHandler(previous)
        previous.close()
    handler.kontor = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    logging.getLogger("fints").setLevel(logging.INFO)
    return path
