"""The audit log's head as this computer last saw it, kept outside the ledger.

The hash chain shows an edited or removed event in the middle, but not a cut-off tail or a chain recomputed from
the start: both are consistent in themselves. So every `audit verify`, backup and close writes the head (event
count, last id and hash) to a small private file in Kontor's state folder, one per ledger path, and `audit verify`
holds the ledger against it. Someone who can also edit this computer's files can edit the anchor as well.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.schema import AuditEvent
from app.services.ledger.audit import Head
from app.services.paths import state_dir
from app.services.private_files import open_private, private_dir

log = logging.getLogger(__name__)


# A file ledger is named by its path; a server ledger by its URL without password (server.ServerAddress.url).
LedgerName = Path | str


def _name(ledger: LedgerName) -> str:
    return ledger if isinstance(ledger, str) else str(Path(ledger).resolve())


def anchor_path(ledger_path: LedgerName) -> Path:
    """The anchor file of a ledger, named after its absolute path or server URL (what the user opens)."""
    key = hashlib.sha256(_name(ledger_path).encode()).hexdigest()[:32]
    return state_dir() / "audit-heads" / f"{key}.json"


def load(ledger_path: LedgerName) -> Head | None:
    """The head this computer saw last for the ledger at this path; None if it never saw one."""
    path = anchor_path(ledger_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Head(int(data["events"]), None if data["event_id"] is None else int(data["event_id"]), data["hash"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("unreadable audit anchor %s: %s", path, error)
        return None


def save(ledger_path: LedgerName, head: Head) -> None:
    """Remember `head` for the ledger at this path: written whole beside the old file, then moved over it."""
    path = anchor_path(ledger_path)
    private_dir(path.parent)
    data: dict[str, Any] = {
        "ledger": _name(ledger_path),
        "events": head.events,
        "event_id": head.event_id,
        "hash": head.hash,
        "seen_at": datetime.now().replace(microsecond=0).isoformat(),
    }
    partial = path.with_name(path.name + ".partial")
    with open_private(partial, "w", encoding="utf-8") as file:
        json.dump(data, file, indent=1)
    os.replace(partial, path)


def forget(ledger_path: LedgerName) -> None:
    anchor_path(ledger_path).unlink(missing_ok=True)


def continued_head(session: Session, anchor: Head | None) -> Head | None:
    """The chain's head if it still holds `anchor` at its place, else None; costs only the events since the anchor.

    Whether the events before the anchor are intact is for `audit.verify` to say; the anchor's hash covers them.
    """
    if anchor is None or anchor.event_id is None:
        last = session.execute(select(AuditEvent.id, AuditEvent.chain_hash).order_by(AuditEvent.id.desc()).limit(1))
        row = last.first()
        if row is None:
            return Head() if anchor is None or anchor.events == 0 else None
        return Head(session.scalar(select(func.count(AuditEvent.id))) or 0, row.id, row.chain_hash)
    if session.scalar(select(AuditEvent.chain_hash).where(AuditEvent.id == anchor.event_id)) != anchor.hash:
        return None
    newer = select(AuditEvent.id, AuditEvent.chain_hash).where(AuditEvent.id > anchor.event_id)
    row = session.execute(newer.order_by(AuditEvent.id.desc()).limit(1)).first()
    if row is None:
        return anchor
    added = session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.id > anchor.event_id)) or 0
    return Head(anchor.events + added, row.id, row.chain_hash)


def discontinued(ledger_path: LedgerName, session: Session) -> Head | None:
    """The head this computer saw last if the ledger no longer holds it (events removed or rewritten), else None."""
    anchor = load(ledger_path)
    return anchor if anchor is not None and continued_head(session, anchor) is None else None


def advance(ledger_path: LedgerName, session: Session) -> Head | None:
    """Remember the ledger's head if it continues the one seen last; one that does not is left for verify to report."""
    anchor = load(ledger_path)
    head = continued_head(session, anchor)
    if head is None:
        log.warning(
            "the audit log of %s does not continue event %d this computer saw last; run `kontor audit verify`",
            ledger_path,
            anchor.events if anchor else 0,
        )
        return None
    if head != anchor:
        save(ledger_path, head)
    return head


def raw_head(connection: Any) -> Head:
    """The head of a ledger open as a plain DB-API connection, such as a backup just written."""
    row = connection.execute("SELECT id, chain_hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return Head()
    (count,) = connection.execute("SELECT count(*) FROM audit_events").fetchone()
    return Head(count, row[0], row[1])
