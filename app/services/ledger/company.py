"""Setting up and naming the company's ledger: its name, where a new ledger goes, how strong its passphrase is."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from app.models.schema import CompanySettings
from app.services.i18n import _
from app.services.ledger import audit
from app.services.ledger.database import LEDGER_SUFFIX, Ledger, LedgerError

_UMLAUTS: dict[str, str | int | None] = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}

NAME_MAX = 200


class CompanyError(LedgerError):
    """A company setting the user must correct; the message names the field."""


def check_company_name(name: str) -> str:
    """The name as stored: trimmed, non-empty, within the column's length."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise CompanyError(_("Company name: please enter a name."))
    if len(cleaned) > NAME_MAX:
        raise CompanyError(_("Company name: at most {n} characters.").format(n=NAME_MAX))
    return cleaned


def rename_company(ledger: Ledger, name: str, *, actor: str) -> str:
    """Store a new company name with its audit event in one transaction. Blocks; call from a worker."""
    cleaned = check_company_name(name)
    with ledger.writer() as session:
        settings = session.scalar(select(CompanySettings).limit(1))
        if settings is None:
            settings = CompanySettings(name=cleaned)
            session.add(settings)
            action = "create"
        elif settings.name == cleaned:
            return cleaned
        else:
            settings.name = cleaned
            action = "update"
        audit.record_row(session, actor=actor, action=action, row=settings, summary=f"company name {cleaned}")
    return cleaned


def suggested_ledger_path(company_name: str, directory: Path) -> Path:
    """A file name derived from the company that does not exist yet (`brenner-gmbh.kontor`, `…-2.kontor`)."""
    folded = company_name.lower().translate(str.maketrans(_UMLAUTS))
    stem = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:60] or "ledger"
    candidate = directory / f"{stem}{LEDGER_SUFFIX}"
    number = 2
    while candidate.exists():
        candidate = directory / f"{stem}-{number}{LEDGER_SUFFIX}"
        number += 1
    return candidate
