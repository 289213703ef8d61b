"""The audit log: every money-relevant change appends an event chained by SHA-256 to the one before."""

from __future__ import annotations

import hashlib
import json
import socket
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
from app.services.ledger.dialects import WRITER_LOCK, advisory_lock, exec_driver, on_server

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
        event.workstation,
    )


def _chain_fields(
    prev_hash: str,
    at: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    summary: str,
    data: str,
    workstation: str = "",
) -> str:
    fields = [prev_hash, at, actor, action, entity, "" if entity_id is None else str(entity_id), summary, data]
    if workstation:  # only events that name one: every event written before (and on a file) keeps its hash
        fields.append(workstation)
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


def workstation(session: Session) -> str:
    """Where an event comes from: this computer's host name on a server ledger, which several workstations share;
    '' on a file ledger, which has one."""
    return socket.gethostname()[:100] if on_server(session) else ""


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
    advisory_lock(session, WRITER_LOCK)  # on a server: one chain, whoever appends (writer() holds it already)
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
        workstation=workstation(session),
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
    "INSERT INTO audit_events "
    "(at, actor, action, entity, entity_id, summary, data_digest, prev_hash, chain_hash, workstation) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def record_many(session: Session, *, actor: str, events: Sequence[EventSpec]) -> None:
    """Append many events in one statement, chained exactly as `record` would chain them one by one."""
    digested = [(spec.action, spec.entity, spec.entity_id, spec.summary, digest(spec.data)) for spec in events]
    record_digested(session, actor=actor, events=digested)


def record_digested(session: Session, *, actor: str, events: Sequence[tuple[str, str, int | None, str, str]]) -> None:
    """`record_many` for events whose data the caller digested: (action, entity, entity id, summary, digest)."""
    if not events:
        return
    session.flush()
    advisory_lock(session, WRITER_LOCK)
    prev = _last_hash(session)
    at = datetime.now().replace(microsecond=0)
    at_iso = at.isoformat()
    connection = session.connection()
    stored_at = stored_datetime(connection, at)
    host = workstation(session)
    rows = []
    for action, entity, entity_id, summary, data_digest in events:
        chain_hash = _chain_fields(prev, at_iso, actor, action, entity, entity_id, summary, data_digest, host)
        rows.append((stored_at, actor, action, entity, entity_id, summary, data_digest, prev, chain_hash, host))
        prev = chain_hash
    exec_driver(connection, _INSERT_EVENTS, rows)


def record_row(session: Session, *, actor: str, action: str, row: Base, summary: str = "") -> AuditEvent:
    session.flush()
    data = None if action == "delete" else row_data(row)
    return record(
        session,
        actor=actor,
        action=action,
        entity=type(row).__tablename__,
        entity_id=row.id,  # type: ignore[attr-defined]  # every audited table has an integer id
        data=data,
        summary=summary,
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
    rows = session.connection().execute(
        select(Transaction.id, *columns).where(Transaction.import_id == import_id).order_by(Transaction.id)
    )
    return [[row[0], fields_digest(row[1:])] for row in rows]  # values_digest, without a mapping per row


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
class Head:
    """Where the chain ends: how many events it has, the last one's id and its hash (GENESIS when empty)."""

    events: int = 0
    event_id: int | None = None
    hash: str = GENESIS


@dataclass(frozen=True, slots=True)
class AuditReport:
    events: int
    head: Head = Head()
    broken_event_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def _tables() -> dict[str, type[Base]]:
    return {
        mapper.class_.__tablename__: mapper.class_
        for mapper in Base.registry.mappers
        if hasattr(mapper.class_, "__audited__")
    }


def _noun(entity: str) -> str:
    """What a user calls a row of an audited table (or an import), for messages."""
    nouns = {
        "transactions": _("booking"),
        IMPORT_ENTITY: _("statement import"),
        "allocations": _("allocation"),
        "invoices": _("invoice"),
        "customers": _("customer"),
        "payer_knowledge": _("learned payer"),
        "bank_accounts": _("bank account"),
        "bank_connections": _("bank connection"),
        "company_settings": _("company settings"),
        "users": _("user"),
        "mandates": _("mandate"),
        "payment_runs": _("payment run"),
        "payment_orders": _("payment order"),
        "payment_approvals": _("approval"),
    }
    return nouns.get(entity, entity)


_EVENT_COLUMNS = (
    AuditEvent.id,
    AuditEvent.at,
    AuditEvent.actor,
    AuditEvent.action,
    AuditEvent.entity,
    AuditEvent.entity_id,
    AuditEvent.summary,
    AuditEvent.data_digest,
    AuditEvent.prev_hash,
    AuditEvent.chain_hash,
    AuditEvent.workstation,
)
_DELETED = digest(None)
# A ledger made before Ledger.create recorded an event for it has its settings row without one; accepted only
# as Ledger.create left it (a name and nothing else), so a forged creditor id or currency is still reported.
_UNTOUCHED_SETTINGS = {"creditor_id": "", "currency": "EUR", "settings_json": "{}"}


def verify(session: Session, *, anchor: Head | None = None) -> AuditReport:
    """Walk the chain, hold it against the head this computer saw last, then account for every audited row.

    Each row of an audited table must match the latest event about it (or, for a booking, the import event that
    lists its id and digest), and each event about a row must find it: inserted, changed and deleted rows all
    show. What the chain alone cannot show, a cut-off or consistently rewritten tail, the anchor does.
    """
    prev = GENESIS
    latest: dict[tuple[str, int], tuple[int, str]] = {}
    count = 0
    last_id: int | None = None
    for event in session.connection().execute(select(*_EVENT_COLUMNS).order_by(AuditEvent.id)):
        count += 1
        if event.prev_hash != prev or _chain(prev, event) != event.chain_hash:  # type: ignore[arg-type]
            return AuditReport(
                count,
                Head(count - 1, last_id, prev),
                event.id,
                _("audit event {id} was altered or removed").format(id=event.id),
            )
        if anchor is not None and count == anchor.events and event.chain_hash != anchor.hash:
            return AuditReport(
                count,
                Head(count, event.id, event.chain_hash),
                event.id,
                _(
                    "event {n} is not the one this computer saw last (hash {seen}, now {now}): "
                    "the audit log was rewritten"
                ).format(n=count, seen=anchor.hash[:16], now=event.chain_hash[:16]),
            )
        prev, last_id = event.chain_hash, event.id
        if event.entity_id is not None:
            latest[(event.entity, event.entity_id)] = (event.id, event.data_digest)
    end = Head(count, last_id, prev)
    if anchor is not None and count < anchor.events:
        return AuditReport(
            count,
            end,
            None,
            _(
                "the audit log ends at event {n}, but this computer last saw event {seen} (hash {hash}): "
                "events were removed"
            ).format(n=count, seen=anchor.events, hash=anchor.hash[:16]),
        )
    broken = _unaccounted_row(session, latest)
    if broken is not None:
        event_id, problem = broken
        return AuditReport(count, end, event_id, problem)
    return AuditReport(count, end)


def _unaccounted_row(session: Session, latest: dict[tuple[str, int], tuple[int, str]]) -> tuple[int | None, str] | None:
    """The first audited row no event accounts for, or the first event whose row is gone or different."""
    imports = {entity_id: event for (entity, entity_id), event in latest.items() if entity == IMPORT_ENTITY}
    for import_id, (event_id, expected) in sorted(imports.items(), key=lambda item: item[1][0]):
        if digest(import_data(session, import_id)) != expected:
            return event_id, _changed(IMPORT_ENTITY, import_id, event_id)
    by_table: dict[str, dict[int, tuple[int, str]]] = {}
    for (entity, entity_id), event in latest.items():
        by_table.setdefault(entity, {})[entity_id] = event
    for entity, table in _tables().items():
        events = by_table.get(entity, {})
        if entity == "transactions":
            broken = _unaccounted_booking(session, events, imports)
        else:
            broken = _unaccounted_in(session, table, events)
        if broken is not None:
            return broken
    return None


def _changed(entity: str, entity_id: int, event_id: int) -> str:
    return _("{noun} {id} was changed outside Kontor after audit event {event}").format(
        noun=_noun(entity), id=entity_id, event=event_id
    )


def _compare(entity: str, entity_id: int, data: Any, event: tuple[int, str] | None) -> tuple[int | None, str] | None:
    """A row against the latest event about it; None when they agree."""
    if event is None:
        return None, _("{noun} {id} has no audit event (inserted outside Kontor)").format(
            noun=_noun(entity), id=entity_id
        )
    event_id, expected = event
    if expected == _DELETED:
        return event_id, _(
            "{noun} {id} was deleted in audit event {event} but is back (inserted outside Kontor)"
        ).format(noun=_noun(entity), id=entity_id, event=event_id)
    if digest(data) != expected:
        return event_id, _changed(entity, entity_id, event_id)
    return None


def _gone(entity: str, events: dict[int, tuple[int, str]], present: set[int]) -> tuple[int | None, str] | None:
    """The first event about a row that is no longer there, though no event deleted it."""
    for entity_id, (event_id, expected) in sorted(events.items(), key=lambda item: item[1][0]):
        if entity_id not in present and expected != _DELETED:
            return event_id, _("{noun} {id} was deleted outside Kontor after audit event {event}").format(
                noun=_noun(entity), id=entity_id, event=event_id
            )
    return None


def _unaccounted_in(
    session: Session, table: type[Base], events: dict[int, tuple[int, str]]
) -> tuple[int | None, str] | None:
    entity = table.__tablename__
    names: tuple[str, ...] = table.__audited__  # type: ignore[attr-defined]
    columns = [getattr(table, name) for name in names]
    present: set[int] = set()
    for row in session.connection().execute(select(table.id, *columns).order_by(table.id)):  # type: ignore[attr-defined]
        entity_id, values = row[0], row[1:]
        present.add(entity_id)
        data = {name: _plain(value) for name, value in zip(names, values, strict=True)}
        event = events.get(entity_id)
        if not events and entity == "company_settings" and _legacy_settings(data):
            continue
        broken = _compare(entity, entity_id, data, event)
        if broken is not None:
            return broken
    return _gone(entity, events, present)


def _legacy_settings(data: dict[str, Any]) -> bool:
    return all(data[name] == value for name, value in _UNTOUCHED_SETTINGS.items())


def _unaccounted_booking(
    session: Session, events: dict[int, tuple[int, str]], imports: dict[int, tuple[int, str]]
) -> tuple[int | None, str] | None:
    """Bookings: each belongs to an audited import (whose digest lists it) or has an event of its own."""
    own: list[int] = []  # the few with events of their own (ignored, and so on); an import covers the rest
    for entity_id, import_id in session.connection().execute(
        select(Transaction.id, Transaction.import_id).order_by(Transaction.id)
    ):
        if entity_id in events:
            own.append(entity_id)
        elif import_id is None or import_id not in imports:
            return None, _("{noun} {id} has no audit event (inserted outside Kontor)").format(
                noun=_noun("transactions"), id=entity_id
            )
    for entity_id in own:
        row = session.get(Transaction, entity_id)
        broken = _compare("transactions", entity_id, row_data(row), events[entity_id])  # type: ignore[arg-type]
        if broken is not None:
            return broken
    return _gone("transactions", events, set(own))
