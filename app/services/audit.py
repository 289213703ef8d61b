"""The audit log: every money-relevant change appends an event chained by SHA-256 to the one before."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.base import stored_datetime
from app.models.schema import AuditEvent, Base, Transaction
from app.services.i18n import _

GENESIS = "0" * 64
IMPORT_ENTITY = "statement_import"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | bytes):
        return str(value)
    return value


# One encoder for every digest: json.dumps with options builds a new one per call, and runs digest thousands.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_plain, ensure_ascii=False)


def digest(data: Any) -> str:
    """SHA-256 of a canonical JSON rendering, stable across runs and platforms."""
    return hashlib.sha256(_CANONICAL.encode(data).encode()).hexdigest()


def row_data(row: Base) -> dict[str, Any]:
    """The audited columns of a row (its class lists them in `__audited__`)."""
    return {name: _plain(getattr(row, name)) for name in type(row).__audited__}  # type: ignore[attr-defined]


def _chain(prev_hash: str, event: AuditEvent) -> str:
    return _chain_fields(
        prev_hash,
        event.at.isoformat(),
        event.actor,
        event.action,
        event.entity,
        event.entity_id,
        event.summary,
        event.data_digest,
    )


def _chain_fields(
    prev_hash: str, at: str, actor: str, action: str, entity: str, entity_id: int | None, summary: str, data: str
) -> str:
    fields = [prev_hash, at, actor, action, entity, "" if entity_id is None else str(entity_id), summary, data]
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


def _last_hash(session: Session) -> str:
    last = session.scalar(select(AuditEvent.chain_hash).order_by(AuditEvent.id.desc()).limit(1))
    return last or GENESIS


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    data: Any,
    summary: str = "",
) -> AuditEvent:
    """Append one event in the caller's transaction, so the change and its event commit together."""
    session.flush()
    prev = _last_hash(session)
    event = AuditEvent(
        at=datetime.now().replace(microsecond=0),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        summary=summary,
        data_digest=digest(data),
        prev_hash=prev,
        chain_hash="",
    )
    event.chain_hash = _chain(prev, event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One event of a batch written by `record_many`."""

    action: str
    entity: str
    entity_id: int | None
    data: Any
    summary: str = ""


_INSERT_EVENTS = (
    "INSERT INTO audit_events (at, actor, action, entity, entity_id, summary, data_digest, prev_hash, chain_hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def record_many(session: Session, *, actor: str, events: Sequence[EventSpec]) -> None:
    """Append many events in one statement, chained exactly as `record` would chain them one by one."""
    if not events:
        return
    session.flush()
    prev = _last_hash(session)
    at = datetime.now().replace(microsecond=0)
    at_iso = at.isoformat()
    connection = session.connection()
    stored_at = stored_datetime(connection, at)
    rows = []
    for spec in events:
        data_digest = digest(spec.data)
        chain_hash = _chain_fields(
            prev, at_iso, actor, spec.action, spec.entity, spec.entity_id, spec.summary, data_digest
        )
        rows.append(
            (stored_at, actor, spec.action, spec.entity, spec.entity_id, spec.summary, data_digest, prev, chain_hash)
        )
        prev = chain_hash
    connection.exec_driver_sql(_INSERT_EVENTS, rows)


def record_row(session: Session, *, actor: str, action: str, row: Base, summary: str = "") -> AuditEvent:
    session.flush()
    data = None if action == "delete" else row_data(row)
    return record(
        session,
        actor=actor,
        action=action,
        entity=type(row).__tablename__,
        entity_id=row.id,
        data=data,
        summary=summary,  # type: ignore[attr-defined]
    )


def values_digest(values: Mapping[str, Any]) -> str:
    """Digest of a transaction's audited columns; cheaper than JSON because imports digest every row."""
    return fields_digest([values.get(name) for name in Transaction.__audited__])


def fields_digest(values: Iterable[Any]) -> str:
    """values_digest of the audited column values given in `Transaction.__audited__` order (dates as ISO text)."""
    return hashlib.sha256("\x1f".join(["" if value is None else str(value) for value in values]).encode()).hexdigest()


def import_data(session: Session, import_id: int) -> list[list[Any]]:
    """What an import event covers: each transaction of that import with the digest of its row."""
    columns = [getattr(Transaction, name) for name in Transaction.__audited__]
    rows = session.execute(
        select(Transaction.id, *columns).where(Transaction.import_id == import_id).order_by(Transaction.id)
    )
    return [[row.id, values_digest(row._mapping)] for row in rows]


def record_import(
    session: Session,
    *,
    actor: str,
    import_id: int,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    summary: str,
) -> AuditEvent:
    """One event for a whole import: the ids and digests of its rows (ordered by id)."""
    digests = [[row_id, values_digest(values)] for row_id, values in rows]
    return record_import_digests(session, actor=actor, import_id=import_id, digests=digests, summary=summary)


def record_import_digests(
    session: Session, *, actor: str, import_id: int, digests: list[list[Any]], summary: str
) -> AuditEvent:
    """record_import with the `[id, digest]` pairs already computed, as a streaming import does chunk by chunk."""
    data = sorted(digests)
    return record(
        session,
        actor=actor,
        action="import",
        entity=IMPORT_ENTITY,
        entity_id=import_id,
        data=data,
        summary=summary,
    )


@dataclass(frozen=True, slots=True)
class AuditReport:
    events: int
    broken_event_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_event_id is None


def _tables() -> dict[str, type[Base]]:
    return {
        mapper.class_.__tablename__: mapper.class_
        for mapper in Base.registry.mappers
        if hasattr(mapper.class_, "__audited__")
    }


def verify(session: Session) -> AuditReport:
    """Walk the chain, then compare each audited row with the digest of its latest event."""
    prev = GENESIS
    latest: dict[tuple[str, int], AuditEvent] = {}
    count = 0
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        count += 1
        if event.prev_hash != prev or _chain(prev, event) != event.chain_hash:
            return AuditReport(count, event.id, _("audit event {id} was altered or removed").format(id=event.id))
        prev = event.chain_hash
        if event.entity_id is not None:
            latest[(event.entity, event.entity_id)] = event
    tables = _tables()
    for (entity, entity_id), event in sorted(latest.items(), key=lambda item: item[1].id):
        if entity == IMPORT_ENTITY:
            current = digest(import_data(session, entity_id))
        elif entity in tables:
            row = session.get(tables[entity], entity_id)
            current = digest(None if row is None else row_data(row))
        else:
            continue
        if current != event.data_digest:
            return AuditReport(
                count,
                event.id,
                _("{entity} {id} was changed outside Kontor after audit event {event}").format(
                    entity=entity, id=entity_id, event=event.id
                ),
            )
    return AuditReport(count)
