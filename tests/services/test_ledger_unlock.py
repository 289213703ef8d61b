"""Unlocking costs one key derivation per process, and opening an up-to-date ledger does not load alembic."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlcipher3
from sqlalchemy import text

from app.services.ledger import database
from app.services.ledger import keys as ledger_keys
from app.services.ledger.database import Ledger, WrongPassphraseError, head_revision

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "ledgers"
PASS = "Grüße 'Müller' & Söhne"  # non-ASCII and quotes: the raw key must derive from the same bytes SQLCipher sees


class _Keys:
    """Records every `PRAGMA key` a connection is given and every derivation Kontor does itself."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.keys: list[str] = []
        self.derivations = 0
        keys = self.keys
        connect, pbkdf2 = sqlcipher3.connect, hashlib.pbkdf2_hmac

        class Recording(sqlcipher3.Connection):  # type: ignore[misc,name-defined]
            def execute(self, sql: str, *args: object) -> sqlcipher3.Cursor:  # type: ignore[name-defined]
                if sql.startswith("PRAGMA key"):
                    keys.append(sql)
                return super().execute(sql, *args)

        def recording_connect(*args: object, **kwargs: object) -> sqlcipher3.Connection:  # type: ignore[name-defined]
            return connect(*args, factory=Recording, **kwargs)  # type: ignore[arg-type]

        def counting_pbkdf2(*args: object, **kwargs: object) -> bytes:
            self.derivations += 1
            return pbkdf2(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(database.sqlcipher3, "connect", recording_connect)
        monkeypatch.setattr(ledger_keys.hashlib, "pbkdf2_hmac", counting_pbkdf2)

    def passphrase_keyed(self) -> list[str]:
        """Connections keyed with the passphrase itself, for which SQLCipher derives the key again."""
        return [key for key in self.keys if not key.startswith("PRAGMA key = \"x'")]


def _use_from_threads(ledger: Ledger, count: int) -> None:
    """Sessions in parallel threads, so the pool opens several connections."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def use() -> None:
        try:
            with ledger.session() as session:
                barrier.wait(timeout=30)
                assert session.execute(text("SELECT count(*) FROM company_settings")).scalar() == 1
                barrier.wait(timeout=30)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=use) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


def test_open_derives_the_key_once_for_all_connections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "firma.kontor"
    Ledger.create(path, PASS, company_name="Firma").close()
    keys = _Keys(monkeypatch)
    ledger = Ledger.open(path, PASS)
    try:
        _use_from_threads(ledger, 3)
        with ledger.writer() as session:
            session.execute(text("UPDATE company_settings SET name = 'Firma GmbH'"))
    finally:
        ledger.close()
    assert keys.derivations == 1
    assert len(keys.keys) >= 4  # the check, then one per pooled connection
    assert keys.passphrase_keyed() == []


def test_a_key_prepared_on_a_thread_is_the_one_derivation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the CLI does: derive on a thread while SQLAlchemy loads, then open with the key ready."""
    path = tmp_path / "firma.kontor"
    Ledger.create(path, PASS, company_name="Firma").close()
    counted = _Keys(monkeypatch)
    ledger_keys.prepare_key(path, PASS)
    ledger = Ledger.open(path, PASS)
    try:
        assert ledger.company_name() == "Firma"
    finally:
        ledger.close()
    assert counted.derivations == 1
    assert counted.passphrase_keyed() == []
    assert ledger_keys._prepared == {}  # handed over, not kept


def test_a_wrong_prepared_passphrase_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "firma.kontor"
    Ledger.create(path, PASS, company_name="Firma").close()
    ledger_keys.prepare_key(path, "falsch")
    with pytest.raises(WrongPassphraseError):
        Ledger.open(path, "falsch")
    ledger_keys.prepare_key(tmp_path / "missing.kontor", PASS)  # left to the opening, which names the file
    with pytest.raises(database.LedgerError, match="no such ledger file"):
        Ledger.open(tmp_path / "missing.kontor", PASS)


def test_create_derives_the_key_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = _Keys(monkeypatch)
    ledger = Ledger.create(tmp_path / "neu.kontor", PASS, company_name="Neu")
    try:
        assert ledger.company_name() == "Neu"
    finally:
        ledger.close()
    assert keys.derivations == 1
    assert keys.passphrase_keyed() == []


def test_a_ledger_keyed_with_the_passphrase_opens_with_the_derived_key(tmp_path: Path) -> None:
    """Files written by SQLCipher's own derivation (older Kontor) are read the same way; plain SQLCipher reads ours."""
    old = tmp_path / "alt.kontor"
    shutil.copy(FIXTURES / "schema-0001.kontor", old)
    Ledger.open(old, "fixture").close()
    conn = sqlcipher3.connect(str(old))
    conn.execute("PRAGMA key = 'fixture'")
    assert conn.execute("SELECT count(*) FROM transactions").fetchone() == (5,)
    conn.close()
    new = tmp_path / "neu.kontor"
    Ledger.create(new, PASS, company_name="Neu").close()
    conn = sqlcipher3.connect(str(new))
    conn.execute("PRAGMA key = '" + PASS.replace("'", "''") + "'")
    assert conn.execute("SELECT name FROM company_settings").fetchone() == ("Neu",)
    conn.close()


def test_wrong_passphrase_after_a_rekey(tmp_path: Path) -> None:
    path = tmp_path / "firma.kontor"
    ledger = Ledger.create(path, PASS, company_name="Firma")
    ledger.change_passphrase("neu und lang genug")
    _use_from_threads(ledger, 2)
    ledger.close()
    with pytest.raises(WrongPassphraseError):
        Ledger.open(path, PASS)
    Ledger.open(path, "neu und lang genug").close()


def test_head_revision_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from app.models.migrations.config import alembic_config

    assert head_revision() == ScriptDirectory.from_config(alembic_config(None)).get_current_head()


_OPEN_AND_REPORT = """
import sys
from app.services.ledger.database import Ledger
ledger = Ledger.open(sys.argv[1], sys.argv[2])
print(ledger.schema_revision(), "alembic" in sys.modules)
ledger.close()
"""


def test_opening_an_up_to_date_ledger_does_not_load_alembic(tmp_path: Path) -> None:
    current, old = tmp_path / "firma.kontor", tmp_path / "alt.kontor"
    Ledger.create(current, PASS, company_name="Firma").close()
    shutil.copy(FIXTURES / "schema-0001.kontor", old)
    runs = {
        path: subprocess.run(
            [sys.executable, "-c", _OPEN_AND_REPORT, str(path), passphrase],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        for path, passphrase in ((current, PASS), (old, "fixture"))
    }
    assert runs[current] == [head_revision(), "False"]
    assert runs[old] == [head_revision(), "True"]  # a migration is due: alembic does it


def test_a_derivation_thread_that_fails_at_its_start_is_reported_not_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "firma.kontor"
    Ledger.create(path, PASS, company_name="Firma").close()

    def failing(native_id: int) -> None:
        raise RuntimeError("cannot place the thread")

    monkeypatch.setattr(ledger_keys, "keep_to_helper_core", failing)
    ledger_keys.prepare_key(path, PASS)  # returns: the thread said it was done placing itself
    with pytest.raises(RuntimeError, match="cannot place the thread"):
        Ledger.open(path, PASS)
