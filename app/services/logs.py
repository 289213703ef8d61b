"""A rotating log file in the user log directory; secrets never reach it, and user text cannot forge its lines."""

from __future__ import annotations

import logging
from io import TextIOWrapper
from pathlib import Path
from typing import cast

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


class PrivateRotatingFileHandler(logging.FileHandler):
    """A log file rotated by size (kontor.log, kontor.log.1 … .N) whose files are 0600 (renaming keeps the mode).

    What `logging.handlers.RotatingFileHandler` does, on `FileHandler`: importing `logging.handlers` (sockets,
    pickle, queues) cost 4 ms of the first window, before which logging is set up.
    """

    def __init__(self, filename: Path, *, max_bytes: int, backup_count: int, encoding: str) -> None:
        super().__init__(filename, mode="a", encoding=encoding)
        self.max_bytes = max_bytes
        self.backup_count = backup_count

    def _open(self) -> TextIOWrapper:
        """The log file, private to its owner (a text file is a TextIOWrapper, which typeshed wants)."""
        stream = open_private(Path(self.baseFilename), self.mode, encoding=self.encoding, errors=self.errors)
        return cast(TextIOWrapper, stream)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._should_roll_over(record):
                self.doRollover()
            super().emit(record)
        except Exception:
            self.handleError(record)

    def _should_roll_over(self, record: logging.LogRecord) -> bool:
        path = Path(self.baseFilename)
        if self.max_bytes <= 0 or (path.exists() and not path.is_file()):  # never rename a device or a pipe
            return False
        if self.stream is None:
            self.stream = self._open()
        self.stream.seek(0, 2)
        return self.stream.tell() + len(self.format(record)) + 1 >= self.max_bytes

    def doRollover(self) -> None:  # noqa: N802 (RotatingFileHandler's name)
        """kontor.log becomes kontor.log.1, .1 becomes .2, and so on; the oldest beyond `backup_count` goes."""
        if self.stream:
            self.stream.close()
            self.stream = None
        if self.backup_count > 0:
            for number in range(self.backup_count - 1, 0, -1):
                older = Path(f"{self.baseFilename}.{number}")
                if older.exists():
                    older.replace(f"{self.baseFilename}.{number + 1}")
            if Path(self.baseFilename).exists():
                Path(self.baseFilename).replace(f"{self.baseFilename}.1")
        self.stream = self._open()


def setup_logging(*, debug: bool = False, directory: Path | None = None) -> Path:
    """Log to kontor.log (5 × 2 MiB); python-fints stays at INFO because DEBUG dumps whole messages."""
    folder = private_dir(directory or log_dir())
    path = folder / LOG_NAME
    for old in folder.glob(LOG_NAME + "*"):  # an older Kontor left its logs readable for everyone
        tighten(old)
    handler = PrivateRotatingFileHandler(path, max_bytes=2 * 1024 * 1024, backup_count=5, encoding="utf-8")
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
