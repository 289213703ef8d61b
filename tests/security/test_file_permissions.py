"""Private files (issue 11): everything Kontor writes is 0600 and its own folders 0700, whatever the umask, and
files an older Kontor left readable for everyone are tightened when they are opened."""

from __future__ import annotations

import logging
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from test_cli import kontor_process as kontor  # the umask of a real process

from app.services.ledger.database import Ledger, restore_backup
from app.services.logs import setup_logging
from app.services.paths import config_dir, data_dir, default_ledger, log_dir
from app.services.payments.pain import write_atomically
from app.services.preferences import Preferences, save_preferences

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes; Windows relies on the profile's ACLs")

SECRET = "Privat-Geheim-4711"
ENV = {"KONTOR_PASSPHRASE": SECRET, "KONTOR_USER": "anna"}
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "ledgers"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o002], ids=["umask022", "umask002"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The umask of this process and of the `kontor` subprocesses it starts (they inherit it)."""
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """setup_logging adds a handler to the root logger; take it away again after the test."""
    before = list(logging.getLogger().handlers)
    level = logging.getLogger().level
    yield
    for handler in [h for h in logging.getLogger().handlers if h not in before]:
        logging.getLogger().removeHandler(handler)
        handler.close()
    logging.getLogger().setLevel(level)


def test_ledger_and_its_wal_and_shm_are_private(umask: int, kontor_home: Path) -> None:
    path = default_ledger()
    ledger = Ledger.create(path, SECRET, company_name="Firma GmbH")
    try:
        with ledger.writer() as session:
            session.execute(text("UPDATE company_settings SET name = 'Firma KG'"))
        wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
        assert wal.exists() and shm.exists()  # SQLite made them itself, copying the ledger file's mode
        assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    finally:
        ledger.close()
    assert mode(data_dir()) == 0o700


def test_cli_files_and_folders_are_private(umask: int, kontor_home: Path, tmp_path: Path) -> None:
    def run(*args: str) -> None:
        result = kontor(*args, home=kontor_home, env=ENV)
        assert result.returncode == 0, result.stderr

    run("init", "--company", "Firma GmbH")
    ledger = default_ledger()
    backup = tmp_path / "sicherungen" / "montag.kontor"  # a folder the backup creates
    run("backup", str(backup))
    run("restore", str(backup))
    [kept] = ledger.parent.glob("ledger.replaced-*.kontor")
    out = tmp_path / "export" / "buchungen.csv"  # a folder the export creates
    run("export", "transactions", "--out", str(out))
    run("export", "allocations", "--out", str(tmp_path / "zuordnungen.csv"))

    files = [ledger, backup, kept, out, tmp_path / "zuordnungen.csv", log_dir() / "kontor.log"]
    assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
    folders = [data_dir(), log_dir(), backup.parent, out.parent]
    assert {str(path): mode(path) for path in folders} == {str(path): 0o700 for path in folders}
    leftovers = [p.name for p in [*ledger.parent.iterdir(), *backup.parent.iterdir()] if mode(p) & 0o077]
    assert leftovers == []


def test_migration_backup_is_private_and_an_old_ledger_is_tightened(umask: int, tmp_path: Path) -> None:
    old = tmp_path / "alt.kontor"
    shutil.copy(FIXTURES / "schema-0001.kontor", old)
    wal = old.with_name(old.name + "-wal")
    wal.write_bytes(b"")  # an empty log, as a crashed older Kontor may leave, readable for everyone
    for path in (old, wal):
        path.chmod(0o644)
    Ledger.open(old, "fixture").close()
    [before] = tmp_path.glob("alt.before-0001-*.kontor")
    assert (mode(old), mode(before)) == (0o600, 0o600)
    assert not wal.exists() or mode(wal) == 0o600


def test_restore_keeps_the_replaced_ledger_private(umask: int, tmp_path: Path) -> None:
    target = tmp_path / "firma.kontor"
    Ledger.create(target, SECRET, company_name="A").close()
    source = Ledger.create(tmp_path / "quelle.kontor", SECRET, company_name="B")
    try:
        backup = source.backup(tmp_path / "b.kontor", passphrase=SECRET)
    finally:
        source.close()
    target.chmod(0o644)  # written by an older Kontor
    kept = restore_backup(backup, target, passphrase=SECRET)
    assert kept is not None
    assert (mode(backup), mode(target), mode(kept)) == (0o600, 0o600, 0o600)


def test_log_files_are_private_also_after_rotation_and_from_older_versions(umask: int, kontor_home: Path) -> None:
    folder = log_dir()
    folder.mkdir(parents=True)
    folder.chmod(0o755)
    (folder / "kontor.log").write_text("old\n", encoding="utf-8")
    (folder / "kontor.log.1").write_text("older\n", encoding="utf-8")
    for path in folder.iterdir():
        path.chmod(0o644)
    path = setup_logging()
    logging.getLogger("test").info("first")
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "kontor", False)]
    handler.doRollover()  # type: ignore[attr-defined]
    logging.getLogger("test").info("second")
    handler.flush()
    assert "second" in path.read_text(encoding="utf-8")
    assert {p.name: mode(p) for p in folder.iterdir()} == {
        "kontor.log": 0o600,
        "kontor.log.1": 0o600,
        "kontor.log.2": 0o600,
    }
    assert mode(folder) == 0o700


def test_preferences_and_payment_files_are_private(umask: int, tmp_path: Path) -> None:
    prefs = save_preferences(Preferences(language="de"))
    assert (mode(prefs), mode(config_dir())) == (0o600, 0o700)
    pain = write_atomically(tmp_path / "zahlungen" / "run-1.xml", b"<Document/>")
    assert (mode(pain), mode(pain.parent)) == (0o600, 0o700)
    existing = tmp_path / "run-2.xml"
    existing.write_bytes(b"old")
    existing.chmod(0o644)
    assert mode(write_atomically(existing, b"<Document/>")) == 0o600


def test_a_users_own_folder_keeps_its_mode(umask: int, tmp_path: Path) -> None:
    shared = tmp_path / "Dokumente"
    shared.mkdir()
    shared.chmod(0o755)
    Ledger.create(shared / "firma.kontor", SECRET, company_name="A").close()
    assert (mode(shared), mode(shared / "firma.kontor")) == (0o755, 0o600)
