"""A file the system cannot give us is reported in the user's language, with the file's name, never with the
operating system's English ("No such file or directory") in a German session."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_cli import kontor_process

from app.services import i18n
from app.services.os_errors import file_error, reason


@pytest.fixture
def german() -> Iterator[None]:
    i18n.set_language("de")
    try:
        yield
    finally:
        i18n.set_language("en")


def real_error(action) -> OSError:  # noqa: ANN001
    try:
        action()
    except OSError as error:
        return error
    raise AssertionError("no error")


def test_the_common_errors_are_worded_in_the_users_language(tmp_path: Path, german: None) -> None:
    missing = real_error(lambda: (tmp_path / "nichtda.sta").open("rb"))
    folder = real_error(lambda: tmp_path.open("rb"))
    below_a_file = real_error(lambda: (tmp_path / "datei").write_text("x") and (tmp_path / "datei" / "x").open("rb"))
    assert file_error(missing, "nichtda.sta") == "nichtda.sta: nicht gefunden"
    assert file_error(folder) == f"{tmp_path}: ist ein Ordner, keine Datei"
    assert reason(below_a_file) == "ein Teil des Pfads ist kein Ordner"
    assert reason(OSError(errno.ENOSPC, "No space left on device")) == "der Datenträger ist voll"
    assert reason(PermissionError(errno.EACCES, "Permission denied")) == "keine Berechtigung"


def test_an_error_without_a_wording_keeps_the_systems_text(german: None) -> None:
    assert reason(OSError(errno.ECONNRESET, "Connection reset by peer")) == "Connection reset by peer"
    assert reason(OSError("something odd")) == "something odd"
    assert file_error(OSError(errno.ENOENT, "No such file or directory")) == "nicht gefunden"  # no name to give


def test_english_stays_english(tmp_path: Path) -> None:
    assert file_error(real_error(lambda: (tmp_path / "gone.csv").open("rb")), "gone.csv") == "gone.csv: not found"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["import", "statement", "nichtda.sta"], "kontor: nichtda.sta: nicht gefunden"),
        (["import", "invoices", "nichtda.csv"], "kontor: nichtda.csv: nicht gefunden"),
        (["export", "allocations", "--out", "datei/zuordnungen.csv"], "ein Teil des Pfads ist kein Ordner"),
        (["export", "transactions", "--out", "datei/umsaetze.csv"], "umsaetze.csv: ein Teil des Pfads ist kein Ordner"),
    ],
)
def test_a_german_command_names_the_file_and_says_what_is_wrong_in_german(
    kontor_home: Path, tmp_path: Path, args: list[str], expected: str
) -> None:
    env = {"KONTOR_PASSPHRASE": "geheim-4711", "KONTOR_LANG": "de"}
    (tmp_path / "datei").write_text("a file where the export wants a folder")
    ledger = str(kontor_home / "firma.kontor")
    assert kontor_process("--ledger", ledger, "init", home=kontor_home, env=env).returncode == 0
    done = kontor_process("--ledger", ledger, *[str(tmp_path / a) if "/" in a else a for a in args],
                          home=kontor_home, env=env)  # fmt: skip
    assert done.returncode != 0
    assert expected in done.stderr, done.stderr
    assert "No such file" not in done.stderr and "Traceback" not in done.stderr and ".partial" not in done.stderr
