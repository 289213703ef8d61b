"""The company's ledger: one SQLCipher-encrypted SQLite file, opened, created, rekeyed and backed up here."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import sqlcipher3
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from app.models import migrations
from app.models.schema import CompanySettings
from app.services.errors import EXIT_WRONG_PASSPHRASE, KontorError
from app.services.i18n import _
from app.services.ledger import audit, audit_anchor
from app.services.ledger.audit import Head
from app.services.ledger.keys import SALT_BYTES, raw_key, read_salt
from app.services.paths import LEDGER_SUFFIX
from app.services.private_files import create_private, make_parent, tighten

log = logging.getLogger(__name__)

CACHE_KIB = 131072  # 128 MiB page cache: it decides the cost of encryption (PERFORMANCE.md §2)
CHECKPOINT_WAL_BYTES = 4 << 20  # SQLite's own threshold (1000 pages); smaller logs wait for the next or the close
BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for another process's write transaction


class LedgerError(KontorError):
    """A ledger problem the user can act on; the message is meant to be shown as it is."""


class WrongPassphraseError(LedgerError):
    exit_code = EXIT_WRONG_PASSPHRASE

    def __init__(self, path: Path) -> None:
        super().__init__(_("{path}: wrong passphrase or not a Kontor ledger").format(path=path))


class LedgerBusyError(LedgerError):
    """Another program holds the ledger's write lock, and the caller chose not to wait (`writer(wait=False)`)."""

    def __init__(self, where: Path | str) -> None:
        super().__init__(_("{where}: another program is writing to the ledger").format(where=where))


def _quote(passphrase: str) -> str:
    if not passphrase:
        raise LedgerError(_("The passphrase must not be empty."))
    if "\x00" in passphrase:
        raise LedgerError(_("The passphrase must not contain a NUL character."))
    return "'" + passphrase.replace("'", "''") + "'"


def _connect_keyed(path: Path, key: str) -> sqlcipher3.Connection:
    """A connection keyed with a quoted passphrase or a raw key that has not touched the file yet."""
    conn = sqlcipher3.connect(str(path), check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = {key}")
    return conn


def _connect_new(path: Path, passphrase: str) -> tuple[sqlcipher3.Connection, str]:
    """A connection for a new file, created 0600 first (so SQLite's -wal and -shm are 0600 too), and its raw key."""
    _quote(passphrase)  # before creating: a refused passphrase must not create a file
    key = raw_key(passphrase, os.urandom(SALT_BYTES))
    create_private(path)
    return _connect_keyed(path, key), key


def _unlock(path: Path, passphrase: str) -> tuple[sqlcipher3.Connection, str]:
    """A checked connection and the key for every later one; the passphrase is derived once, a wrong one writes nothing.

    A file whose salt does not yield the key (other cipher settings) is keyed with the passphrase as it is.
    """
    quoted = _quote(passphrase)
    salt = read_salt(path)
    if salt is not None:
        key = raw_key(passphrase, salt)
        conn = _connect_keyed(path, key)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn, key
        except sqlcipher3.DatabaseError:
            conn.close()
    conn = _connect_keyed(path, quoted)
    _check_key(conn, path)
    return conn, quoted


def _companions(path: Path) -> tuple[Path, Path, Path]:
    """The ledger file and the write-ahead log and shared-memory index SQLite keeps beside it."""
    return path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def _check_key(conn: sqlcipher3.Connection, path: Path) -> None:
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as error:
        conn.close()
        raise WrongPassphraseError(path) from error


def _configure(conn: sqlcipher3.Connection) -> None:
    """Durability and speed settings every connection needs; only after the key is known good."""
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # the ledger's _Checkpointer does it, off the writer's path


def _begin_without_waiting(connection: Connection, path: Path) -> None:
    """BEGIN IMMEDIATE that fails at once with LedgerBusyError while another connection holds the write lock."""
    connection.exec_driver_sql("PRAGMA busy_timeout = 0")
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as error:
        if getattr(error.orig, "sqlite_errorname", "") == "SQLITE_BUSY":
            raise LedgerBusyError(path) from error
        raise
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def known_revisions() -> list[str]:
    """The migrations' revisions in order, read from the file names (`NNNN_name.py`, revision "NNNN") without
    alembic."""
    versions = Path(migrations.__file__).parent / "versions"
    return sorted(path.name.partition("_")[0] for path in versions.glob("[0-9]*_*.py"))


def head_revision() -> str:
    return known_revisions()[-1]


class _Checkpointer:
    """Copies committed pages from the write-ahead log into the ledger file on a background thread.

    SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so the writer (an import,
    a matching run) would wait for a second copy of everything it wrote. The commit alone makes the data
    durable; the copy can follow. The thread has a connection of its own (keyed once, in the background), so it
    never takes one the sessions need. Closing the ledger completes the copy (SQLite does on the last close).
    """

    def __init__(self, connect: Callable[[], sqlcipher3.Connection]) -> None:
        self._connect = connect
        self._wanted = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def request(self) -> None:
        with self._lock:
            if self._stopping:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ledger-checkpoint", daemon=True)
                self._thread.start()
        self._wanted.set()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            thread = self._thread
        self._wanted.set()
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        conn: sqlcipher3.Connection | None = None
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._stopping:
                    return
                try:
                    conn = conn or self._connect()
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except Exception:  # retried after the next commit; the data is safe in the log meanwhile
                    log.exception("background checkpoint failed")
        finally:
            if conn is not None:
                conn.close()


def needs_upgrade(current: str | None, *, where: str, error: type[LedgerError]) -> bool:
    """Whether a ledger at schema `current` must be migrated; a newer Kontor's ledger raises `error`.

    Never downgrade or guess: a newer Kontor's tables may hold data this version would misread."""
    known = known_revisions()
    if current == known[-1]:
        return False
    if current is not None and current not in known:
        raise error(
            _(
                "{path} was written by a newer version of Kontor (ledger schema {schema}; this version knows "
                "schemas up to {head}). Please install the current Kontor to open it."
            ).format(path=where, schema=current, head=known[-1])
        )
    return True


class Ledger:
    """An unlocked ledger. Thread-safe: each thread takes its own Session from `session()`."""

    def __init__(self, path: Path, engine: Engine, connect: Callable[[], sqlcipher3.Connection]) -> None:
        self.path = path
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._checkpointer = _Checkpointer(connect)
        self._wal_path = path.with_name(path.name + "-wal")

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, passphrase: str, *, company_name: str) -> Ledger:
        """Create a new encrypted ledger at the newest schema; refuses to overwrite a file."""
        path = Path(path)
        if path.exists():
            raise LedgerError(_("{path} exists already.").format(path=path))
        make_parent(path)
        conn, key = _connect_new(path, passphrase)
        _configure(conn)
        conn.close()
        ledger = cls._from_key(path, key)
        try:
            ledger._found(company_name)
        except BaseException:
            ledger.close()
            for leftover in _companions(path):
                leftover.unlink(missing_ok=True)
            raise
        log.info("created ledger %s", path)
        return ledger

    def _found(self, company_name: str) -> None:
        """An empty ledger's first state, file or server alike: the newest schema, the company, the audit anchor."""
        self._upgrade()
        with self.writer() as session:
            settings = CompanySettings(name=company_name)
            session.add(settings)
            audit.record_row(session, actor="kontor", action="create", row=settings, summary=company_name)
        self._anchor(fresh=True)

    @classmethod
    def open(cls, path: Path, passphrase: str, *, migrate: bool = True) -> Ledger:
        """Unlock an existing ledger; an older schema is upgraded after a backup copy is written."""
        path = Path(path)
        if not path.is_file():
            raise LedgerError(_("{path}: no such ledger file").format(path=path))
        make_parent(path)
        for companion in _companions(path):  # an older Kontor created them readable for everyone
            tighten(companion)
        conn, key = _unlock(path, passphrase)
        has_version = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        conn.close()
        if not has_version:
            raise WrongPassphraseError(path)
        ledger = cls._from_key(path, key)
        if migrate:
            try:
                ledger._migrate_if_needed(passphrase)
            except BaseException:
                ledger.close()
                raise
        log.info("opened ledger %s", path)
        return ledger

    @classmethod
    def _from_key(cls, path: Path, key: str) -> Ledger:
        def connect() -> sqlcipher3.Connection:
            conn = _connect_keyed(path, key)
            _check_key(conn, path)
            _configure(conn)
            return conn

        engine = create_engine("sqlite://", creator=connect, module=sqlcipher3.dbapi2, poolclass=QueuePool, pool_size=4)

        @event.listens_for(engine, "begin")
        def _begin(connection):  # type: ignore[no-untyped-def]
            # Readers never wait for a writer (WAL); a writer session takes the write lock up front, so a
            # long import cannot fail half-way because another writer got in first.
            options = connection.get_execution_options()
            if not options.get("immediate", False):
                connection.exec_driver_sql("BEGIN")
            elif options.get("wait", True):
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                _begin_without_waiting(connection, path)

        return cls(path, engine, connect)

    # -- schema --------------------------------------------------------------------------------
    def schema_revision(self) -> str | None:
        with self.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            row = raw.execute("SELECT version_num FROM alembic_version").fetchone()
            return row[0] if row else None

    def _upgrade(self) -> None:
        """Alembic is imported here only: opening an up-to-date ledger does not load it (0.4 s)."""
        from alembic import command

        from app.models.migrations.config import alembic_config

        with self.engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")

    def _migrate_if_needed(self, passphrase: str) -> Path | None:
        current = self.schema_revision()
        if not needs_upgrade(current, where=str(self.path), error=LedgerError):
            return None
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        backup_path = self.path.with_name(f"{self.path.stem}.before-{current or 'empty'}-{stamp}{LEDGER_SUFFIX}")
        self.backup(backup_path, passphrase=passphrase)
        log.info("migrating ledger %s from %s after backup to %s", self.path, current, backup_path)
        self._upgrade()
        return backup_path

    # -- use -----------------------------------------------------------------------------------
    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    @contextmanager
    def writer(self, *, wait: bool = True) -> Iterator[Session]:
        """A session in one write transaction that holds the write lock from its start; commits on success.

        `wait=False` is for work that can be left for later: LedgerBusyError at once while another program
        writes, instead of waiting up to BUSY_TIMEOUT_MS for it.
        """
        with self._sessions() as session, session.begin():
            session.connection(execution_options={"immediate": True, "wait": wait})
            yield session
        if self._wal_path.exists() and self._wal_path.stat().st_size > CHECKPOINT_WAL_BYTES:
            self._checkpointer.request()

    def company_name(self) -> str:
        with self.session() as session:
            settings = session.query(CompanySettings).first()
            return settings.name if settings else ""

    def close(self) -> None:
        self._checkpointer.stop()
        self._anchor()
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        """`with Ledger.open(...) as ledger:` closes it however the block ends."""
        self.close()

    @property
    def anchor_name(self) -> Path | str:
        """What this computer remembers the audit head under (audit_anchor): the file's path."""
        return self.path

    def discontinued_audit_head(self) -> Head | None:
        """The audit head this computer saw last, if the ledger lost it since (a cut or rewrite outside Kontor)."""
        with self.session() as session:
            return audit_anchor.discontinued(self.anchor_name, session)

    def _anchor(self, *, fresh: bool = False) -> None:
        """Remember the audit log's head outside the ledger (audit_anchor); `fresh` for a new file at this path."""
        try:
            with self.session() as session:
                if fresh:
                    audit_anchor.forget(self.anchor_name)
                audit_anchor.advance(self.anchor_name, session)
        except Exception as error:  # a ledger that cannot be read here fails where it is used, with a message
            log.warning("could not record the audit head of %s: %s", self.anchor_name, error)

    # -- passphrase and copies -----------------------------------------------------------------
    def change_passphrase(self, new_passphrase: str) -> None:
        """Re-encrypt the whole file under a new passphrase (PRAGMA rekey)."""
        quoted = _quote(new_passphrase)
        self._checkpointer.stop()
        self.engine.dispose()
        with self.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            raw.execute("PRAGMA journal_mode = DELETE")
            raw.execute(f"PRAGMA rekey = {quoted}")
            raw.execute("PRAGMA journal_mode = WAL")
            conn.invalidate()
        self.engine.dispose()
        path = self.path
        conn, key = _unlock(path, new_passphrase)
        conn.close()
        new_ledger = Ledger._from_key(path, key)
        self.engine = new_ledger.engine
        self._sessions = new_ledger._sessions
        self._checkpointer = new_ledger._checkpointer
        log.info("changed the passphrase of %s", path)

    def backup(self, target: Path, *, passphrase: str) -> Path:
        """A consistent encrypted copy made with SQLite's online backup, while the ledger stays open."""
        target = Path(target)
        if target.resolve() == self.path.resolve():
            raise LedgerError(_("The backup must not overwrite the ledger itself."))
        make_parent(target)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        destination, _key = _connect_new(partial, passphrase)
        try:
            with self.engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                assert raw is not None
                raw.backup(destination)
            head = audit_anchor.raw_head(destination)
        finally:
            destination.close()
        partial.replace(target)
        try:  # the copy's own head: a later verify of the copy is held against it
            audit_anchor.save(target, head)
        except OSError as error:  # the backup itself is written; only this computer's note of it is missing
            log.warning("could not record the audit head of %s: %s", target, error)
        self._anchor()
        log.info("wrote backup %s (audit head: event %d, %s)", target, head.events, head.hash)
        return target


def restore_backup(backup: Path, target: Path, *, passphrase: str) -> Path | None:
    """Replace `target` with a verified backup; the replaced ledger is kept beside it."""
    backup, target = Path(backup), Path(target)
    source = Ledger.open(backup, passphrase, migrate=False)
    kept: Path | None = None
    try:
        if target.exists():
            kept = target.with_name(f"{target.stem}.replaced-{datetime.now():%Y%m%d-%H%M%S}{LEDGER_SUFFIX}")
            for old, keep in zip(_companions(target), _companions(kept), strict=True):
                if old.exists():
                    old.replace(keep)
                    tighten(keep)
        source.backup(target, passphrase=passphrase)
    finally:
        source.close()
    return kept
