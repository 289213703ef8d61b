"""`kontor migrate-to-server`: a file ledger copied whole into an empty server database, its audit chain intact.

Every row keeps its id, so the audit events (which name rows by id and digest their values) still account for
every row, and `audit verify` holds on both sides. The copy is one transaction on the server: the schema (by the
same migrations) and all rows, or nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Table, bindparam, func, insert, select, text, update

from app.models.schema import Base
from app.services.i18n import _
from app.services.ledger import audit, audit_anchor
from app.services.ledger.audit import AuditReport
from app.services.ledger.database import Ledger, head_revision
from app.services.ledger.dialects import MIGRATION_LOCK, WRITER_LOCK, advisory_lock, ids_given
from app.services.ledger.server import (
    PasswordPrompt,
    ServerLedger,
    ServerLedgerError,
    connect_server,
    database_is_empty,
    not_empty_error,
)

log = logging.getLogger(__name__)

CHUNK = 5000
# Made by migrations in SQL, not mapped: SQLite's search index, which a server ledger does without.
_NOT_COPIED_PREFIXES = ("transactions_fts", "alembic_version", "sqlite_")


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What was copied, and `audit verify` of both sides afterwards."""

    url: str
    rows: dict[str, int]
    source_audit: AuditReport
    server_audit: AuditReport

    @property
    def ok(self) -> bool:
        return self.source_audit.ok and self.server_audit.ok and self.source_audit.head == self.server_audit.head


def copy_to_server(
    source: Ledger,
    url: str,
    *,
    ask: PasswordPrompt | None = None,
    remember: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> CopyReport:
    """Copy `source` (open, at the newest schema) into the empty database at `url`, then verify both. Blocks."""
    with source.session() as session:
        source_report = audit.verify(session)
    if not source_report.ok:
        raise ServerLedgerError(
            _("{path}: the audit log is broken ({problem}); it is not copied to a server").format(
                path=source.path, problem=source_report.problem
            )
        )
    if source.schema_revision() != head_revision():
        raise ServerLedgerError(
            _("{path}: open it with this Kontor first to bring it up to date").format(path=source.path)
        )
    _check_tables(source)
    target = connect_server(url, ask=ask, remember=remember)
    try:
        if not database_is_empty(target):
            raise not_empty_error(target)
        rows = _copy(source, target, progress)
        with target.session() as session:
            server_report = audit.verify(session)
        report = CopyReport(target.address.url, rows, source_report, server_report)
        if report.ok:
            audit_anchor.save(target.anchor_name, server_report.head)
        log.info("copied %s to %s: %d rows", source.path, target.address.url, sum(rows.values()))
        return report
    finally:
        target.close()


def _check_tables(source: Ledger) -> None:
    """A table the ledger has but Kontor's models lack would be left behind: refuse rather than copy part."""
    with source.engine.connect() as conn:
        names = conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'table'")).all()
    unknown = sorted(
        name for name in names if name not in Base.metadata.tables and not name.startswith(_NOT_COPIED_PREFIXES)
    )
    if unknown:
        raise ServerLedgerError(
            _("{path}: table {table} is not Kontor's; the ledger is not copied").format(
                path=source.path, table=unknown[0]
            )
        )


def _copy(source: Ledger, target: ServerLedger, progress: Callable[[int, int], None] | None) -> dict[str, int]:
    from alembic import command

    from app.models.migrations.config import alembic_config

    tables = Base.metadata.sorted_tables  # parents before children
    rows: dict[str, int] = {}
    with source.session() as reading, target.engine.begin() as conn:
        advisory_lock(conn, MIGRATION_LOCK)
        advisory_lock(conn, WRITER_LOCK)
        command.upgrade(alembic_config(conn), "head")
        for done, table in enumerate(tables):
            if progress:
                progress(done, len(tables))
            rows[table.name] = _copy_table(reading.connection(), conn, table)
            if "id" in table.c:
                ids_given(conn, table.name)
        if progress:
            progress(len(tables), len(tables))
    return rows


def _copy_table(source: Connection, target: Connection, table: Table) -> int:
    """All rows in id order; a column that refers to its own table is filled in afterwards, when all rows exist."""
    own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    order = [table.c.id] if "id" in table.c else list(table.primary_key.columns)
    count = 0
    later: list[dict[str, object]] = []
    result = source.execute(select(table).order_by(*order)).mappings()
    while chunk := result.fetchmany(CHUNK):
        values = [dict(row) for row in chunk]
        for row in values:
            if any(row[name] is not None for name in own):
                later.append({"row_id": row["id"], **{f"new_{name}": row[name] for name in own}})
                row.update(dict.fromkeys(own, None))
        target.execute(insert(table), values)
        count += len(values)
    if later:
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({name: bindparam(f"new_{name}") for name in own})
        )
        target.execute(statement, later)
    copied = target.scalar(select(func.count()).select_from(table))
    if copied != count:
        raise ServerLedgerError(
            _("{table}: {copied} rows arrived on the server, {count} were sent").format(
                table=table.name, copied=copied, count=count
            )
        )
    return count
