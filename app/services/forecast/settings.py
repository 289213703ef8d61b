"""What the forecast keeps in the ledger: decisions on recurring series, credit lines, the minimum balance and
planned items. A section of the company settings, changed through audited writes like every setting."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.schema import BankAccount
from app.services.errors import KontorError
from app.services.formatting import grouped_iban
from app.services.i18n import _
from app.services.ledger.database import Ledger
from app.services.ledger.settings import read_section, write_section

SECTION = "forecast"
DECISIONS = ("confirmed", "dismissed")


class ForecastError(KontorError, ValueError):
    """A forecast setting that cannot be made as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """A receipt or payment the bookkeeper knows about and the books do not yet (a loan, a large order)."""

    on: date
    amount_cents: int
    text: str
    account_id: int | None = None  # None: the main account


@dataclass(frozen=True, slots=True)
class ForecastSettings:
    decisions: dict[str, str] = field(default_factory=dict)  # series key -> confirmed / dismissed
    amounts: dict[str, int] = field(default_factory=dict)  # series key -> the amount the bookkeeper expects
    credit_lines: dict[int, int] = field(default_factory=dict)  # account id -> overdraft limit in cents
    minimum_cents: int = 0  # below this total balance the forecast warns
    planned: tuple[PlannedItem, ...] = ()


def load_settings(session: Session) -> ForecastSettings:
    stored: dict[str, Any] = read_section(session, SECTION, {}) or {}
    return ForecastSettings(
        decisions=dict(stored.get("decisions", {})),
        amounts={key: int(value) for key, value in stored.get("amounts", {}).items()},
        credit_lines={int(key): int(value) for key, value in stored.get("credit_lines", {}).items()},
        minimum_cents=int(stored.get("minimum_cents", 0)),
        planned=tuple(
            PlannedItem(date.fromisoformat(item["on"]), int(item["amount_cents"]), item["text"], item.get("account_id"))
            for item in stored.get("planned", [])
        ),
    )


def _save(session: Session, settings: ForecastSettings, *, actor: str, summary: str) -> None:
    value = {
        "decisions": settings.decisions,
        "amounts": settings.amounts,
        "credit_lines": {str(key): cents for key, cents in settings.credit_lines.items()},
        "minimum_cents": settings.minimum_cents,
        "planned": [
            {
                "on": item.on.isoformat(),
                "amount_cents": item.amount_cents,
                "text": item.text,
                "account_id": item.account_id,
            }  # fmt: skip
            for item in settings.planned
        ],
    }
    write_section(session, SECTION, value, actor=actor, summary=summary)


def decide(ledger: Ledger, key: str, decision: str, *, actor: str, amount_cents: int | None = None) -> None:
    """Confirm or dismiss a recurring series (optionally with the amount to expect)."""
    if decision not in DECISIONS:
        raise ForecastError(
            _("A recurring booking is confirmed or dismissed, not {decision}.").format(decision=decision)
        )
    with ledger.writer() as session:
        settings = load_settings(session)
        amounts = dict(settings.amounts)
        if amount_cents is not None:
            amounts[key] = amount_cents
        changed = replace(settings, decisions=settings.decisions | {key: decision}, amounts=amounts)
        _save(session, changed, actor=actor, summary=f"recurring {key}: {decision}")


def set_credit_line(ledger: Ledger, account_id: int, cents: int, *, actor: str) -> None:
    if cents < 0:
        raise ForecastError(_("A credit line is an amount of 0 or more."))
    with ledger.writer() as session:
        settings = load_settings(session)
        changed = replace(settings, credit_lines=settings.credit_lines | {account_id: cents})
        _save(session, changed, actor=actor, summary=f"credit line account {account_id}: {cents}")


def set_minimum(ledger: Ledger, cents: int, *, actor: str) -> None:
    with ledger.writer() as session:
        _save(session, replace(load_settings(session), minimum_cents=cents), actor=actor, summary=f"minimum {cents}")


def plan(ledger: Ledger, item: PlannedItem, *, actor: str) -> None:
    with ledger.writer() as session:
        settings = load_settings(session)
        changed = replace(settings, planned=(*settings.planned, item))
        _save(session, changed, actor=actor, summary=f"planned {item.on.isoformat()} {item.amount_cents} {item.text}")


def account_id_of(ledger: Ledger, iban: str) -> int:
    """The ledger's own account with this IBAN (spaces and case as the user typed them)."""
    with ledger.session() as session:
        account_id = session.scalar(select(BankAccount.id).where(BankAccount.iban == iban.replace(" ", "").upper()))
    if account_id is None:
        raise ForecastError(_("There is no account {iban} in this ledger.").format(iban=grouped_iban(iban)))
    return account_id
