"""The log file rotates by size like logging's RotatingFileHandler, without importing logging.handlers."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from app.services.logs import PrivateRotatingFileHandler


def test_the_log_rotates_by_size_and_keeps_the_newest_files(tmp_path: Path) -> None:
    path = tmp_path / "kontor.log"
    handler = PrivateRotatingFileHandler(path, max_bytes=200, backup_count=2, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.Logger("rotation")
    logger.addHandler(handler)
    for number in range(40):
        logger.info("line %02d äöü", number)  # 13 characters and a newline each
    handler.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kontor.log", "kontor.log.1", "kontor.log.2"]
    sizes = [len(p.read_text(encoding="utf-8")) for p in tmp_path.iterdir()]
    assert all(size < 200 for size in sizes), sizes
    assert path.read_text(encoding="utf-8").splitlines()[-1] == "line 39 äöü"
    newest_rotated = (tmp_path / "kontor.log.1").read_text(encoding="utf-8").splitlines()
    oldest_kept = (tmp_path / "kontor.log.2").read_text(encoding="utf-8").splitlines()
    assert int(oldest_kept[-1].split()[1]) + 1 == int(newest_rotated[0].split()[1])  # no line lost between them
    assert int(newest_rotated[-1].split()[1]) + 1 == int(path.read_text(encoding="utf-8").split()[1])
    assert all(p.stat().st_mode & 0o077 == 0 for p in tmp_path.iterdir())


def test_setting_up_logging_does_not_import_logging_handlers(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from app.services.logs import setup_logging; "
        f"setup_logging(directory=Path({str(tmp_path)!r})); print('logging.handlers' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
