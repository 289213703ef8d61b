"""The ledger on a PostgreSQL server: the same tables, migrations and services as the file, through psycopg 3.

A file ledger on a network share is not safe for several workstations (SQLite's locks over SMB/NFS are not
reliable); a server is. The guarantees stay those of the file: one writer at a time (an advisory lock taken by
`writer()`, and by any other transaction before its first write), readers that never wait (MVCC), one audit chain.
The password never goes into a URL, a log or a message: it comes from the keyring (only if the user asked to keep
it there), from libpq's own PGPASSFILE / ~/.pgpass, or from a prompt.
"""

from __future__ import annotations

import logging
import re
import secrets as token_secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from app.services.errors import EXIT_WRONG_PASSPHRASE
from app.services.i18n import _
from app.services.ledger import secrets
from app.services.ledger.database import Ledger, LedgerBusyError, LedgerError, head_revision, needs_upgrade
from app.services.ledger.dialects import MIGRATION_LOCK, WRITER_LOCK
from app.services.ledger.server_changes import NOTIFY, ChangeListener

log = logging.getLogger(__name__)

SCHEMES = ("postgresql", "postgres")
DEFAULT_PORT = 5432
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
STRICT_SSL = "verify-full"
CONNECT_TIMEOUT_S = 10
# A statement that writes or locks rows: a transaction that did not start in writer() takes the writer lock first.
_WRITES = re.compile(r"^\s*(?:INSERT|UPDATE|DELETE)\b|\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b", re.IGNORECASE)
_HOLDS_WRITER_LOCK = "kontor_writer_lock"
_WROTE = "kontor_wrote"  # the transaction wrote: its commit tells the other workstations (server_changes)

# Asked for the password of a server ledger (its URL, which has none); None when the user cancels.
PasswordPrompt = Callable[[str], "str | None"]


class ServerLedgerError(LedgerError):
    """A server ledger that cannot be reached or used; the message names the URL, never the password."""


class ServerPasswordError(ServerLedgerError):
    exit_code = EXIT_WRONG_PASSPHRASE


def is_server_url(value: str | Path) -> bool:
    """True for `postgresql://…` (a file path given on the command line never starts with a scheme)."""
    return isinstance(value, str) and value.partition("://")[0].lower() in SCHEMES and "://" in value


@dataclass(frozen=True, slots=True)
class ServerAddress:
    """Where a server ledger is: user, host, port, database and TLS mode; never a password."""

    user: str
    host: str
    database: str
    port: int = DEFAULT_PORT
    sslmode: str = STRICT_SSL
    sslrootcert: str = ""

    @classmethod
    def parse(cls, url: str) -> ServerAddress:
        """`postgresql://user@host[:port]/database[?sslmode=…&sslrootcert=…]`; TLS below verify-full only for
        this computer, and only when the URL says so."""
        parts = urlsplit(url)
        shown = _without_password(url)
        if parts.scheme.lower() not in SCHEMES:
            raise ServerLedgerError(
                _("{url}: not a PostgreSQL URL (postgresql://user@host/database)").format(url=shown)
            )
        if parts.password is not None:
            raise ServerLedgerError(
                _(
                    "{url}: the URL must not contain the password; Kontor asks for it, or reads it from ~/.pgpass "
                    "(PGPASSFILE) or the keyring"
                ).format(url=shown)
            )
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError as error:
            raise ServerLedgerError(_("{url}: the port is not a number").format(url=shown)) from error
        host, user, database = parts.hostname or "", unquote(parts.username or ""), unquote(parts.path.lstrip("/"))
        if not host or not user or not database:
            raise ServerLedgerError(
                _("{url}: name the user, the host and the database (postgresql://user@host/database)").format(url=shown)
            )
        options = dict(parse_qsl(parts.query, keep_blank_values=True))
        unknown = sorted(set(options) - {"sslmode", "sslrootcert"})
        if unknown:
            raise ServerLedgerError(
                _("{url}: unknown option {option} (known: sslmode, sslrootcert)").format(url=shown, option=unknown[0])
            )
        sslmode = options.get("sslmode", STRICT_SSL)
        if sslmode not in SSL_MODES:
            raise ServerLedgerError(
                _("{url}: sslmode {mode} is not one of {modes}").format(
                    url=shown, mode=sslmode, modes=", ".join(SSL_MODES)
                )
            )
        if sslmode != STRICT_SSL and host not in LOCAL_HOSTS:
            raise ServerLedgerError(
                _(
                    "{url}: a server on another computer is reached only with sslmode=verify-full (TLS with the "
                    "server's certificate checked); a lower mode is allowed for localhost only"
                ).format(url=shown)
            )
        return cls(user, host, database, port, sslmode, options.get("sslrootcert", ""))

    @property
    def url(self) -> str:
        """The URL as shown and remembered: no password, the TLS mode only when it is not the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        url = f"postgresql://{self.user}@{host}:{self.port}/{self.database}"
        options = [f"sslmode={self.sslmode}"] if self.sslmode != STRICT_SSL else []
        options += [f"sslrootcert={self.sslrootcert}"] if self.sslrootcert else []
        return url + ("?" + "&".join(options) if options else "")

    def connect_arguments(self, password: str | None) -> dict[str, Any]:
        """psycopg.connect() keywords; without a password libpq looks in PGPASSFILE or ~/.pgpass itself."""
        arguments: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "dbname": self.database,
            "sslmode": self.sslmode,
            "connect_timeout": CONNECT_TIMEOUT_S,
            "application_name": "kontor",
        }
        if self.sslrootcert:
            arguments["sslrootcert"] = self.sslrootcert
        if password is not None:
            arguments["password"] = password
        return arguments


def _without_password(url: str) -> str:
    """A URL as it may be shown: a password in it (refused anyway) replaced by ***."""
    return re.sub(r"(://[^/@:]*):[^/@]*@", r"\1:***@", url)


def _is_refused_password(error: Exception) -> bool:
    message = str(error)
    return getattr(error, "sqlstate", None) in ("28P01", "28000") or any(
        phrase in message for phrase in ("password authentication failed", "no password supplied")
    )


def _reason(error: Exception, password: str | None) -> str:
    """libpq's message, first line; it does not repeat a password, and this makes sure."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return message.replace(password, "***") if password else message


class _Credentials:
    """The password a ledger's connections use, found once at open: keyring, then libpq's pgpass, then the prompt."""

    def __init__(self, address: ServerAddress, *, ask: PasswordPrompt | None, remember: bool) -> None:
        self.address = address
        self.password = secrets.remembered_server_password(address.url)
        self._ask = ask
        self._remember = remember

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(**self.address.connect_arguments(self.password))

    def first_connection(self) -> Any:
        """A working connection, asking for the password when the server wants one that is not known yet."""
        import psycopg

        url = self.address.url
        try:
            return self.connect()
        except psycopg.OperationalError as error:
            if not _is_refused_password(error) or self._ask is None:
                raise self.error(error) from None
            if self.password is not None:
                secrets.forget_server_password(url)  # the server no longer takes the one kept in the keyring
        typed = self._ask(url)
        if not typed:
            raise ServerPasswordError(_("{url}: no password given").format(url=url))
        self.password = typed
        try:
            connection = self.connect()
        except psycopg.OperationalError as error:
            raise self.error(error) from None
        if self._remember:
            try:
                secrets.remember_server_password(url, typed)
            except secrets.KeyringUnavailableError as error:
                log.warning("%s", error)
        return connection

    def error(self, error: Exception) -> ServerLedgerError:
        url, reason = self.address.url, _reason(error, self.password)
        if _is_refused_password(error):
            return ServerPasswordError(
                _("{url}: the server refused the password ({reason})").format(url=url, reason=reason)
            )
        return ServerLedgerError(_("{url}: cannot connect ({reason})").format(url=url, reason=reason))


def _no_file_connection() -> Any:
    raise AssertionError("a server ledger has no file to checkpoint")


class ServerLedger(Ledger):
    """An open server ledger: a Ledger whose sessions talk to PostgreSQL. Thread-safe as Ledger is."""

    def __init__(self, address: ServerAddress, engine: Engine, credentials: _Credentials, *, origin: str) -> None:
        super().__init__(Path(address.database), engine, _no_file_connection)
        self.address = address
        self._credentials = credentials
        self._origin = origin

    def listen_for_changes(self) -> ChangeListener:
        """A listener for the commits of other ledger objects (other workstations) on a connection of its own.
        Blocks while it connects."""
        import psycopg

        try:
            connection = self._credentials.connect()
        except psycopg.OperationalError as error:
            raise self._credentials.error(error) from None
        connection.autocommit = True
        return ChangeListener(connection, origin=self._origin, url=self.address.url)

    @property
    def anchor_name(self) -> str:
        return self.address.url

    @contextmanager
    def writer(self, *, wait: bool = True) -> Iterator[Session]:
        """A session in one write transaction holding the ledger's writer lock from its start; commits on success.
        `wait=False`: LedgerBusyError at once while another program holds the lock."""
        with self._sessions() as session, session.begin():
            connection = session.connection()
            if wait:
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})")
            elif not connection.exec_driver_sql(f"SELECT pg_try_advisory_xact_lock({WRITER_LOCK})").scalar():
                raise LedgerBusyError(self.address.url)
            connection.info[_HOLDS_WRITER_LOCK] = True
            yield session

    def schema_revision(self) -> str | None:
        with self.engine.connect() as conn:
            if conn.scalar(text("SELECT to_regclass('alembic_version')")) is None:
                return None
            return conn.scalar(text("SELECT version_num FROM alembic_version"))

    def _upgrade(self) -> None:
        """PostgreSQL runs DDL in the transaction: a failed upgrade leaves the old schema whole, so no copy first."""
        from alembic import command

        from app.models.migrations.config import alembic_config

        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            current = conn.scalar(text("SELECT version_num FROM alembic_version")) if _has_version(conn) else None
            if current != head_revision():  # another workstation may have upgraded while this one waited
                command.upgrade(alembic_config(conn), "head")

    def _migrate_if_needed(self, passphrase: str) -> Path | None:
        if not needs_upgrade(self.schema_revision(), where=self.address.url, error=ServerLedgerError):
            return None
        log.info("upgrading server ledger %s to %s", self.address.url, head_revision())
        self._upgrade()
        return None

    def change_passphrase(self, new_passphrase: str) -> None:
        raise ServerLedgerError(
            _("{url}: a server ledger has no passphrase; its password is changed on the server").format(
                url=self.address.url
            )
        )

    def backup(self, target: Path, *, passphrase: str) -> Path:
        raise ServerLedgerError(
            _("{url}: a server ledger is backed up on the server (pg_dump), not by Kontor").format(url=self.address.url)
        )


def _has_version(conn: Any) -> bool:
    return conn.scalar(text("SELECT to_regclass('alembic_version')")) is not None


def _engine(credentials: _Credentials, origin: str) -> Engine:
    """An engine over psycopg whose first connection is the checked one; each write transaction holds the lock
    and, as it commits, notifies the other workstations (with `origin`, so this ledger object can ignore it)."""
    first = [credentials.first_connection()]

    def connect() -> Any:
        return first.pop() if first else credentials.connect()

    engine = create_engine(
        "postgresql+psycopg://", creator=connect, poolclass=QueuePool, pool_size=4, pool_pre_ping=True
    )

    @event.listens_for(engine, "before_cursor_execute")
    def _lock_before_write(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        # A transaction that did not start in writer() (a plain session that writes) waits for the writer lock
        # before its first write, so two workstations never interleave writes.
        if _WRITES.search(statement):
            conn.info[_WROTE] = True
            if not conn.info.get(_HOLDS_WRITER_LOCK):
                cursor.execute(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})")
                # Taken in a savepoint, the lock goes with the savepoint's rollback: then it is taken again next time.
                conn.info[_HOLDS_WRITER_LOCK] = not conn.in_nested_transaction()

    @event.listens_for(engine, "commit")
    def _committing(conn):  # type: ignore[no-untyped-def]
        # Runs just before COMMIT, inside the transaction: PostgreSQL delivers the notification with the commit,
        # and never for a transaction that rolls back.
        if conn.info.pop(_WROTE, False):
            with conn.connection.dbapi_connection.cursor() as cursor:
                cursor.execute(NOTIFY, (origin,))
        conn.info.pop(_HOLDS_WRITER_LOCK, None)

    @event.listens_for(engine, "rollback")
    def _released(conn):  # type: ignore[no-untyped-def]
        conn.info.pop(_WROTE, None)
        conn.info.pop(_HOLDS_WRITER_LOCK, None)

    return engine


def connect_server(url: str, *, ask: PasswordPrompt | None = None, remember: bool = False) -> ServerLedger:
    """A ServerLedger over the database, whatever it holds (open_server and create_server check that). Blocks."""
    address = ServerAddress.parse(url)
    credentials = _Credentials(address, ask=ask, remember=remember)
    origin = token_secrets.token_hex(8)  # names this ledger object in its notifications; nothing secret
    return ServerLedger(address, _engine(credentials, origin), credentials, origin=origin)


def listen_for_changes(ledger: Ledger) -> ChangeListener | None:
    """A listener for other workstations' commits; None for a file ledger, which has one workstation. Blocks."""
    return ledger.listen_for_changes() if isinstance(ledger, ServerLedger) else None


def database_is_empty(ledger: ServerLedger) -> bool:
    with ledger.engine.connect() as conn:
        tables = conn.scalar(
            text("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()")
        )
    return not tables


def not_empty_error(ledger: ServerLedger) -> ServerLedgerError:
    return ServerLedgerError(
        _("{url}: the database is not empty; Kontor creates a ledger only in an empty database").format(
            url=ledger.address.url
        )
    )


def open_server(
    url: str, *, ask: PasswordPrompt | None = None, remember: bool = False, migrate: bool = True
) -> ServerLedger:
    """Open the ledger in a PostgreSQL database; an older schema is upgraded in one transaction. Blocks."""
    ledger = connect_server(url, ask=ask, remember=remember)
    address = ledger.address
    try:
        if ledger.schema_revision() is None:
            raise ServerLedgerError(
                _("{url}: the database holds no Kontor ledger (create one with kontor init --server URL)").format(
                    url=address.url
                )
            )
        if migrate:
            ledger._migrate_if_needed("")
    except BaseException:
        ledger.engine.dispose()
        raise
    log.info("opened server ledger %s", address.url)
    return ledger


def create_server(
    url: str, *, company_name: str, ask: PasswordPrompt | None = None, remember: bool = False
) -> ServerLedger:
    """Create the ledger's tables in an empty database (made by the server's administrator) with the migrations."""
    ledger = connect_server(url, ask=ask, remember=remember)
    try:
        if not database_is_empty(ledger):
            raise not_empty_error(ledger)
        ledger._found(company_name)
    except BaseException:
        ledger.engine.dispose()
        raise
    log.info("created server ledger %s", ledger.address.url)
    return ledger
