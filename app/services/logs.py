"""A rotating log file in the user log directory; secrets never reach it."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from app.services.paths import log_dir


def setup_logging(*, debug: bool = False, directory: Path | None = None) -> Path:
    """Log to kontor.log (5 × 2 MiB); python-fints stays at INFO because DEBUG dumps whole messages."""
    folder = directory or log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kontor.log"
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2 * 1024 * 1024, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "kontor", False)]:
        root.removeHandler(old)
        old.close()
    handler.kontor = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    logging.getLogger("fints").setLevel(logging.INFO)
    return path
