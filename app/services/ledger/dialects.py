"""What the file ledger (SQLite) and the server ledger (PostgreSQL) do differently in SQL, kept in one place.

The domain code is the same for both: it writes SQL through these helpers where the two dialects differ
(placeholders of driver-level statements, SQLite's `total()` and NOCASE, ids given by the writer, locks).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Boolean, Connection, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.elements import SQLColumnExpression
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

# Keys of PostgreSQL's transaction-level advisory locks (pg_advisory_xact_lock): released by commit or rollback.
# One writer at a time, as SQLite's BEGIN IMMEDIATE gives the file ledger; also the audit chain's one
# serialization point (one lock, not one per purpose: two locks taken in either order could deadlock).
WRITER_LOCK = 0x4B4F4E01
MIGRATION_LOCK = 0x4B4F4E03  # one workstation upgrades the schema, the others wait and find it done
# Ids per `IN (...)` list: far below SQLite's 32,766 and PostgreSQL's 65,535 parameters, small statements either way.
IDS_PER_QUERY = 5000


def id_chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    """`ids` in slices of IDS_PER_QUERY, one `IN (...)` list each."""
    for start in range(0, len(ids), IDS_PER_QUERY):
        yield ids[start : start + IDS_PER_QUERY]


def on_server(bind: Session | Connection) -> bool:
    """True for a PostgreSQL ledger."""
    connection = bind.connection() if isinstance(bind, Session) else bind
    return connection.dialect.name == "postgresql"


def driver_sql(connection: Connection, sql: str) -> str:
    """A statement written with `?` placeholders in the driver's own style (psycopg takes `%s`)."""
    return sql if connection.dialect.paramstyle == "qmark" else sql.replace("?", "%s")


def exec_driver(connection: Connection, sql: str, params: Any = None) -> Any:
    """`exec_driver_sql` of a `?` statement on either driver: for bulk writes where the ORM costs too much."""
    return connection.exec_driver_sql(driver_sql(connection, sql), params)


def advisory_lock(bind: Session | Connection, key: int) -> None:
    """Wait for the transaction-level lock `key` on a server ledger; the file ledger's write lock covers it."""
    connection = bind.connection() if isinstance(bind, Session) else bind
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({int(key)})")


def ids_given(bind: Session | Connection, table: str) -> None:
    """After rows were inserted with ids of their own (max + 1, under the writer lock): the server's id sequence
    must start above them, or the next ORM insert would reuse one."""
    connection = bind.connection() if isinstance(bind, Session) else bind
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce((SELECT max(id) FROM {table}), 0) + 1,"
            " false)"
        )


class total(FunctionElement[Any]):  # noqa: N801  # named as the SQL function it stands for
    """SQLite's `total(x)`: the sum, 0 for no rows; on PostgreSQL `coalesce(sum(x), 0)`, booleans counted as 1."""

    inherit_cache = True
    name = "total"


@compiles(total)
def _total_sqlite(element: total, compiler: Any, **kw: Any) -> str:
    return f"total({compiler.process(element.clauses, **kw)})"


@compiles(total, "postgresql")
def _total_postgresql(element: total, compiler: Any, **kw: Any) -> str:
    (argument,) = element.clauses.clauses
    value = compiler.process(argument, **kw)
    if isinstance(argument.type, Boolean):
        value = f"({value})::integer"
    return f"coalesce(sum({value}), 0)"


def nocase(column: SQLColumnExpression[str]) -> ColumnElement[Any]:
    """A sort key ignoring ASCII case, as SQLite's NOCASE collation; PostgreSQL compares lower()."""
    return _NoCase(column)


class _NoCase(FunctionElement[Any]):
    inherit_cache = True
    name = "nocase"


@compiles(_NoCase)
def _nocase_sqlite(element: _NoCase, compiler: Any, **kw: Any) -> str:
    return f"{compiler.process(element.clauses, **kw)} COLLATE NOCASE"


@compiles(_NoCase, "postgresql")
def _nocase_postgresql(element: _NoCase, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


def _accent_folding() -> tuple[str, str]:
    """Latin letters with diacritics (U+00C0..U+024F) and the plain lower-case letter each decomposes to."""
    accented, plain = [], []
    for code in range(0xC0, 0x250):
        letter = chr(code)
        base = unicodedata.normalize("NFD", letter)[0]
        if base != letter and base.isascii() and base.isalpha():
            accented.append(letter)
            plain.append(base.lower())
    return "".join(accented), "".join(plain)


_ACCENTED, _PLAIN = _accent_folding()


def folded(text: ColumnElement[Any] | str) -> ColumnElement[str]:
    """PostgreSQL text as the file's search index compares it (FTS5 unicode61, remove_diacritics): lower case,
    accents dropped ("Müller" as "muller"), and ß as "ss" ("Straße" as "strasse"). Plain SQL, because the
    unaccent extension may be missing on the company's server; both sides of a comparison must be folded."""
    value = literal(text) if isinstance(text, str) else text
    spelled_out = func.replace(func.replace(value, "ẞ", "ss"), "ß", "ss")
    return func.lower(func.translate(spelled_out, _ACCENTED, _PLAIN))


class by_dialect(ColumnElement[Any]):  # noqa: N801  # used like a SQL function
    """One condition written twice: `sqlite` for the file ledger, `server` for PostgreSQL (e.g. FTS5 or ILIKE)."""

    inherit_cache = True
    _traverse_internals = [
        ("sqlite", InternalTraversal.dp_clauseelement),
        ("server", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, *, sqlite: ColumnElement[Any], server: ColumnElement[Any]) -> None:
        self.sqlite = sqlite
        self.server = server
        self.type = sqlite.type


@compiles(by_dialect)
def _by_dialect_sqlite(element: by_dialect, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.sqlite, **kw))


@compiles(by_dialect, "postgresql")
def _by_dialect_postgresql(element: by_dialect, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.server, **kw))
