"""Named sections of the company's settings JSON (matching, payments, mappings …), read and written in one place."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.schema import CompanySettings
from app.services.errors import KontorError
from app.services.i18n import _
from app.services.ledger import audit


class SettingsMissingError(KontorError, LookupError):
    """A ledger without its company row is damaged; every settings reader says so the same way."""


def company_row(session: Session) -> CompanySettings:
    settings = session.scalar(select(CompanySettings).limit(1))
    if settings is None:
        raise SettingsMissingError(_("The ledger has no company settings."))
    return settings


def read_section(session: Session, key: str, default: Any = None) -> Any:
    """One section of the settings JSON; `default` when it was never saved (or the JSON is damaged)."""
    try:
        data = json.loads(company_row(session).settings_json or "{}")
    except ValueError:
        return default
    return data.get(key, default) if isinstance(data, dict) else default


def write_section(session: Session, key: str, value: Any, *, actor: str, summary: str) -> None:
    """Replace one section in the caller's transaction, with an audit event like every company change."""
    settings = company_row(session)
    data = json.loads(settings.settings_json or "{}")
    data[key] = value
    settings.settings_json = json.dumps(data, ensure_ascii=False, sort_keys=True)
    audit.record_row(session, actor=actor, action="update", row=settings, summary=summary)
