"""The encrypted ledger file: encryption, wrong passphrase, rekey, backup/restore, migration, durability."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from app.models.schema import BankAccount, StatementImport, Transaction
from app.services.ledger.database import (
    BUSY_TIMEOUT_MS,
    Ledger,
    LedgerBusyError,
    LedgerError,
    WrongPassphraseError,
    head_revision,
    restore_backup,
)

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "ledgers"
PASS = "Korrekt Pferd Batterie Heftklammer"


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    path = tmp_path / "firma.kontor"
    Ledger.create(path, PASS, company_name="Müller Feinmechanik GmbH").close()
    return path


def _add_transactions(ledger: Ledger, count: int) -> None:
    with ledger.session() as session, session.begin():
        account = session.scalar(select(BankAccount)) or BankAccount(iban="DE02120300000000202051")
        session.add(account)
        batch = StatementImport(source="test", format="test", imported_by="test")
        session.add(batch)
        session.flush()
        session.execute(
            insert(Transaction),
            [
                {
                    "account_id": account.id,
                    "booked_on": date(2026, 1, 1),
                    "amount_cents": 100 + i,
                    "purpose": f"Zahlung {i}",
                    "import_id": batch.id,
                }
                for i in range(count)
            ],
        )


def test_file_is_encrypted_and_unreadable_without_passphrase(ledger_path: Path) -> None:
    assert not ledger_path.read_bytes().startswith(b"SQLite format 3")
    plain = sqlite3.connect(ledger_path)
    with pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT * FROM sqlite_master").fetchall()
    plain.close()


def test_reopens_with_company_and_newest_schema(ledger_path: Path) -> None:
    ledger = Ledger.open(ledger_path, PASS)
    try:
        assert ledger.company_name() == "Müller Feinmechanik GmbH"
        assert ledger.schema_revision() == head_revision()
    finally:
        ledger.close()


def test_wrong_passphrase_changes_no_byte(ledger_path: Path) -> None:
    before = ledger_path.read_bytes()
    with pytest.raises(WrongPassphraseError, match="wrong passphrase or not a Kontor ledger"):
        Ledger.open(ledger_path, "falsch")
    assert ledger_path.read_bytes() == before


def test_plain_sqlite_file_is_not_a_ledger(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.commit()
    with pytest.raises(WrongPassphraseError):
        Ledger.open(other, PASS)


def test_create_refuses_to_overwrite(ledger_path: Path) -> None:
    with pytest.raises(LedgerError, match="exists already"):
        Ledger.create(ledger_path, PASS, company_name="X")


def test_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="must not be empty"):
        Ledger.create(tmp_path / "x.kontor", "", company_name="X")
    assert not (tmp_path / "x.kontor").exists()


def test_passphrase_with_quotes_works(tmp_path: Path) -> None:
    path = tmp_path / "q.kontor"
    Ledger.create(path, 'it\'s "quoted"', company_name="Q").close()
    Ledger.open(path, 'it\'s "quoted"').close()


def test_change_passphrase(ledger_path: Path) -> None:
    ledger = Ledger.open(ledger_path, PASS)
    _add_transactions(ledger, 3)
    ledger.change_passphrase("neue Passphrase")
    assert ledger.company_name() == "Müller Feinmechanik GmbH"  # still usable after rekey
    ledger.close()
    with pytest.raises(WrongPassphraseError):
        Ledger.open(ledger_path, PASS)
    reopened = Ledger.open(ledger_path, "neue Passphrase")
    with reopened.session() as session:
        assert session.scalar(select(func.count(Transaction.id))) == 3
    reopened.close()


def test_backup_and_restore(ledger_path: Path, tmp_path: Path) -> None:
    ledger = Ledger.open(ledger_path, PASS)
    _add_transactions(ledger, 5)
    backup = ledger.backup(tmp_path / "copies" / "backup.kontor", passphrase=PASS)
    _add_transactions(ledger, 2)  # after the backup
    ledger.close()

    assert not backup.read_bytes().startswith(b"SQLite format 3")
    with pytest.raises(WrongPassphraseError):
        Ledger.open(backup, "falsch")

    kept = restore_backup(backup, ledger_path, passphrase=PASS)
    assert kept is not None and kept.exists()
    restored = Ledger.open(ledger_path, PASS)
    with restored.session() as session:
        assert session.scalar(select(func.count(Transaction.id))) == 5
    restored.close()
    replaced = Ledger.open(kept, PASS)
    with replaced.session() as session:
        assert session.scalar(select(func.count(Transaction.id))) == 7
    replaced.close()


def test_backup_refuses_its_own_file(ledger_path: Path) -> None:
    ledger = Ledger.open(ledger_path, PASS)
    with pytest.raises(LedgerError):
        ledger.backup(ledger_path, passphrase=PASS)
    ledger.close()


def test_old_schema_is_migrated_after_a_backup(tmp_path: Path) -> None:
    old = tmp_path / "alt.kontor"
    shutil.copy(FIXTURES / "schema-0001.kontor", old)
    ledger = Ledger.open(old, "fixture")
    try:
        assert ledger.schema_revision() == head_revision()
        with ledger.engine.connect() as conn:
            hits = conn.execute(text("SELECT rowid FROM transactions_fts WHERE transactions_fts MATCH 'muller'"))
            assert len(hits.fetchall()) == 5  # existing rows were indexed by the migration
            triggers = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all()
            assert "transactions_fts_delete" in triggers  # no later migration rebuilt the table and lost it
    finally:
        ledger.close()
    backups = list(tmp_path.glob("alt.before-0001-*.kontor"))
    assert len(backups) == 1
    copy = Ledger.open(backups[0], "fixture", migrate=False)
    assert copy.schema_revision() == "0001"
    copy.close()


def _skip_fts(name: str | None, type_: str, parent_names: object) -> bool:
    return not (type_ == "table" and name is not None and name.startswith("transactions_fts"))


def test_models_and_migrations_agree(ledger_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from app.models.schema import Base

    ledger = Ledger.open(ledger_path, PASS)
    try:
        with ledger.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_name": _skip_fts, "compare_type": True, "render_as_batch": True}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        ledger.close()


def test_foreign_keys_are_enforced(ledger_path: Path) -> None:
    ledger = Ledger.open(ledger_path, PASS)
    try:
        with pytest.raises(IntegrityError), ledger.session() as session, session.begin():
            session.execute(insert(Transaction), [{"account_id": 999, "booked_on": date.today(), "amount_cents": 1}])
    finally:
        ledger.close()


_WRITER = """
import sys
from datetime import date
from pathlib import Path
from sqlalchemy import insert
from app.models.schema import BankAccount, StatementImport, Transaction
from app.services.ledger.database import Ledger
ledger = Ledger.open(Path(sys.argv[1]), sys.argv[2])
with ledger.session() as session, session.begin():
    account = BankAccount(iban="DE02120300000000202051")
    batch = StatementImport(source="kill", format="test", imported_by="test")
    session.add_all([account, batch])
    session.flush()
    account_id, batch_id = account.id, batch.id
n = 0
while True:
    with ledger.session() as session, session.begin():
        session.execute(insert(Transaction), [
            {"account_id": account_id, "booked_on": date(2026, 1, 1), "amount_cents": n * 1000 + i,
             "purpose": "x" * 500, "import_id": batch_id} for i in range(1000)])
    n += 1
    print(n, flush=True)
"""


def test_kill_during_write_keeps_every_committed_batch(ledger_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(ledger_path), PASS], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    committed = 0
    deadline = time.monotonic() + 60
    while committed < 5 and time.monotonic() < deadline:
        committed = int(process.stdout.readline())
    process.kill()  # SIGKILL, most likely in the middle of the next batch
    process.wait()
    assert committed >= 5

    ledger = Ledger.open(ledger_path, PASS)
    try:
        with ledger.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        with ledger.session() as session:
            rows = session.scalar(select(func.count(Transaction.id)))
        assert rows is not None and rows % 1000 == 0  # whole batches only
        assert rows >= committed * 1000  # every batch reported as committed is there
    finally:
        ledger.close()


def test_readers_are_not_blocked_by_a_writer(ledger_path: Path) -> None:
    import threading

    ledger = Ledger.open(ledger_path, PASS)
    try:
        seen: list[int] = []
        with ledger.writer() as session:
            session.add(StatementImport(source="w", format="test", imported_by="test"))
            session.flush()
            reader = threading.Thread(target=lambda: seen.append(_count_imports(ledger)), name="reader")
            reader.start()
            reader.join(timeout=30)
        assert seen == [0]  # the reader saw the last committed state at once, not the writer's rows
        assert _count_imports(ledger) == 1  # and the writer committed
    finally:
        ledger.close()


def _count_imports(ledger: Ledger) -> int:
    with ledger.session() as session:
        return session.scalar(select(func.count(StatementImport.id))) or 0


def test_commits_leave_the_checkpoint_to_a_background_thread(ledger_path: Path) -> None:
    wal = ledger_path.with_name(ledger_path.name + "-wal")
    ledger = Ledger.open(ledger_path, PASS)
    try:
        before = ledger_path.stat().st_size
        with ledger.writer() as session:
            rows = [{"source": f"s{n:05d}" * 80, "format": "t", "imported_by": "t"} for n in range(12000)]  # > 4 MiB
            session.execute(insert(StatementImport), rows)
        deadline = time.monotonic() + 10
        while ledger_path.stat().st_size <= before and time.monotonic() < deadline:
            time.sleep(0.05)  # the commit returned; the copy into the ledger file follows in the background
        assert ledger_path.stat().st_size > before
        with ledger.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    finally:
        ledger.close()
    assert not wal.exists()  # closing completes the checkpoint: the ledger is one file again
    reopened = Ledger.open(ledger_path, PASS)
    with reopened.session() as session:
        assert session.scalar(select(func.count(StatementImport.id))) == 12000
    reopened.close()


def test_a_writer_can_decline_to_wait_for_another_program(ledger_path: Path) -> None:
    """`writer(wait=False)`, for work that can be left for later (the search index): while another program writes,
    an error at once instead of waiting up to the busy timeout; once it is done, a writer like any other."""
    ledger, other = Ledger.open(ledger_path, PASS), Ledger.open(ledger_path, PASS)
    try:
        with other.writer() as session:
            session.add(StatementImport(source="other", format="test", imported_by="test"))
            session.flush()
            with pytest.raises(LedgerBusyError, match="another program is writing"), ledger.writer(wait=False):
                pass
        with ledger.writer(wait=False) as session:
            session.add(StatementImport(source="later", format="test", imported_by="test"))
            assert session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS
        assert _count_imports(ledger) == 2
    finally:
        ledger.close()
        other.close()
