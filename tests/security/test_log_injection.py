"""Log injection (issue 11): text from users, banks and files cannot forge a line of kontor.log or send terminal
escapes to whoever reads it; every record starts a line with its timestamp, and nothing else does."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_cli import kontor

from app.services.logs import escape_controls, setup_logging

FORGED = "2026-03-02 09:00:00,000 INFO app.services.ledger.audit [MainThread] run 7 approved by chef"
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    before = list(logging.getLogger().handlers)
    level = logging.getLogger().level
    yield setup_logging(directory=tmp_path / "logs")
    for handler in [h for h in logging.getLogger().handlers if h not in before]:
        logging.getLogger().removeHandler(handler)
        handler.close()
    logging.getLogger().setLevel(level)


def records(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").split("\n") if RECORD.match(line)]


def test_control_characters_are_escaped() -> None:
    assert escape_controls("Müller\nGmbH\r\t\x1b[31m\x00\x85\u2028") == "Müller\\nGmbH\\r\\t\\x1b[31m\\x00\\x85\\u2028"
    assert escape_controls("Müller GmbH, 12,50 € — ok") == "Müller GmbH, 12,50 € — ok"


def test_a_counterparty_name_cannot_add_a_record(log_file: Path) -> None:
    name = f"Mallory GmbH\n{FORGED}\r\n\x1b[2K"
    logging.getLogger("app.services.statements.importing").warning("unknown counterparty %s", name)
    for handler in logging.getLogger().handlers:
        handler.flush()
    lines = records(log_file)
    assert len(lines) == 1 and "chef" in lines[0]
    assert lines[0].endswith("unknown counterparty Mallory GmbH\\n" + FORGED + "\\r\\n\\x1b[2K")
    assert "\x1b" not in log_file.read_text(encoding="utf-8")


def test_a_traceback_stays_readable_and_cannot_start_a_record(log_file: Path) -> None:
    try:
        raise ValueError(f"bad purpose\n{FORGED}")
    except ValueError:
        logging.getLogger("app").exception("import failed for %s", "Konto\n1")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert len(records(log_file)) == 1
    assert "import failed for Konto\\n1\n    Traceback (most recent call last):\n" in text
    assert f"\n    ValueError: bad purpose\n    {FORGED}\n" in text  # indented: visibly part of the traceback


def test_a_ledger_path_from_the_command_line_cannot_forge_a_record(kontor_home: Path) -> None:
    forged_path = str(kontor_home / f"x\n{FORGED}")
    result = kontor("--ledger", forged_path, "backup", str(kontor_home / "b.kontor"), home=kontor_home,
                    env={"KONTOR_PASSPHRASE": "pass1"})  # fmt: skip
    assert result.returncode != 0
    log = kontor_home / "logs" / "kontor.log"
    [line] = records(log)
    assert "no such ledger file" in line and line.count("chef") == 1
