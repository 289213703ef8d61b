"""How a `kontor` process starts and ends (`app.cli.run`): the collector runs rarely until the ledger is open; a
command ends without the interpreter's teardown, and nothing it wrote is lost: the statement import is in the
ledger, its summary on a piped stdout, its lines in the log, its exit code kept."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

from test_cli import SECRET, kontor, kontor_process

from app.services.gc_pause import collect_rarely_while_starting
from app.services.ledger.database import Ledger
from app.services.logs import LOG_NAME

MT940 = """:20:STARTUMS
:25:37040044/0532013000
:28C:1/1
:60F:C261201EUR1000,00
:61:2612021202C150,00NTRFNONREF
:86:166?00GUTSCHRIFT?20RE-2026-0001 Danke?32Muster GmbH
:62F:C261202EUR1150,00
-
"""


def test_a_command_ends_without_teardown_and_loses_nothing(kontor_home: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "firma.kontor"
    env = {"KONTOR_PASSPHRASE": SECRET}
    assert kontor("--ledger", str(ledger), "init", "--company", "Firma", home=kontor_home, env=env).returncode == 0
    statement = tmp_path / "konto.sta"
    statement.write_text(MT940, encoding="latin-1")

    result = kontor_process("--ledger", str(ledger), "import", "statement", str(statement), home=kontor_home, env=env)

    assert result.returncode == 0, result.stderr
    assert "konto.sta: 1 new" in result.stdout
    with Ledger.open(ledger, SECRET) as opened, opened.session() as session:
        assert session.connection().exec_driver_sql("SELECT count(*) FROM transactions").scalar() == 1
    log = next(kontor_home.rglob(LOG_NAME)).read_text(encoding="utf-8")
    assert "opened ledger" in log
    assert not Path(f"{ledger}-wal").exists() or Path(f"{ledger}-wal").stat().st_size == 0  # checkpointed on close


def test_teardown_is_skipped_for_a_command_and_kept_when_qt_was_loaded(tmp_path: Path) -> None:
    """An exit handler stands for the teardown: it runs after the GUI (Qt saves settings there), not after a
    command; the command's exit code and message are kept either way."""
    script = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('teardown', flush=True))\n"
        "{qt}"
        f"sys.argv = ['kontor', '--ledger', {str(tmp_path / 'none.kontor')!r}, 'audit', 'verify']\n"
        "from app.cli import run\n"
        "run()\n"
    )
    for qt, teardown in (("", False), ("import PySide6.QtCore\n", True)):
        result = subprocess.run(
            [sys.executable, "-c", script.format(qt=qt)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "KONTOR_HOME": str(tmp_path), "KONTOR_LANG": "en"},
        )
        assert result.returncode == 1
        assert "No passphrase" in result.stderr
        assert ("teardown" in result.stdout) is teardown


def test_the_collector_runs_rarely_until_the_ledger_is_open(kontor_home: Path, tmp_path: Path) -> None:
    """Start-up objects (SQLAlchemy, the models) live to the end: collected rarely while they load, then frozen
    out of the collector's walks, and the usual thresholds back for the command's own work."""
    ledger = str(tmp_path / "firma.kontor")
    env = {"KONTOR_PASSPHRASE": SECRET}
    assert kontor("--ledger", ledger, "init", "--company", "Firma", home=kontor_home, env=env).returncode == 0
    usual = gc.get_threshold()
    collect_rarely_while_starting()
    try:
        assert gc.get_threshold()[0] > 100 * usual[0]
        assert kontor("--ledger", ledger, "audit", "verify", home=kontor_home, env=env).returncode == 0
        assert gc.get_threshold() == usual
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
        gc.set_threshold(*usual)
