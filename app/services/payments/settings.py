"""The ledger's payment settings (lead times, warning thresholds, approval limits, pain versions) in settings_json."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.schema import CompanySettings, User
from app.services.i18n import _
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.settings import read_section, write_section
from app.services.ledger.users import ADMIN, check_actor, check_role
from app.services.payments.sepa_checks import PaymentError, validate_creditor_id

CONFIG_KEY = "payments"


@dataclass(slots=True)
class PaymentConfig:
    """Lead times count TARGET2 business days; `lead_days_first` (historically 5) overrides core for FRST."""

    lead_days_core: int = 1
    lead_days_b2b: int = 1
    lead_days_first: int | None = None
    duplicate_days: int = 30
    large_amount: Decimal = Decimal("10000.00")
    median_factor: Decimal = Decimal("3")
    # An approver alone may approve runs up to their limit; above it a second approver is needed.
    single_approval_limit: Decimal | None = None
    approval_limits: dict[str, Decimal] = field(default_factory=dict)
    transfer_schema: str = "pain.001.001.09"
    debit_schema: str = "pain.008.001.08"

    def approval_limit(self, user_name: str) -> Decimal | None:
        """None means no limit."""
        return self.approval_limits.get(user_name, self.single_approval_limit)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lead_days_core": self.lead_days_core,
            "lead_days_b2b": self.lead_days_b2b,
            "lead_days_first": self.lead_days_first,
            "duplicate_days": self.duplicate_days,
            "large_amount": str(self.large_amount),
            "median_factor": str(self.median_factor),
            "single_approval_limit": None if self.single_approval_limit is None else str(self.single_approval_limit),
            "approval_limits": {name: str(limit) for name, limit in sorted(self.approval_limits.items())},
            "transfer_schema": self.transfer_schema,
            "debit_schema": self.debit_schema,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PaymentConfig:
        default = cls()
        limit = data.get("single_approval_limit")
        return cls(
            lead_days_core=int(data.get("lead_days_core", default.lead_days_core)),
            lead_days_b2b=int(data.get("lead_days_b2b", default.lead_days_b2b)),
            lead_days_first=None if data.get("lead_days_first") is None else int(data["lead_days_first"]),
            duplicate_days=int(data.get("duplicate_days", default.duplicate_days)),
            large_amount=Decimal(str(data.get("large_amount", default.large_amount))),
            median_factor=Decimal(str(data.get("median_factor", default.median_factor))),
            single_approval_limit=None if limit is None else Decimal(str(limit)),
            approval_limits={name: Decimal(str(value)) for name, value in data.get("approval_limits", {}).items()},
            transfer_schema=data.get("transfer_schema", default.transfer_schema),
            debit_schema=data.get("debit_schema", default.debit_schema),
        )


def company(session: Session) -> CompanySettings:
    settings = session.scalar(select(CompanySettings).limit(1))
    if settings is None:
        raise PaymentError("company", "The ledger has no company settings.")
    return settings


def payment_config(session: Session) -> PaymentConfig:
    return PaymentConfig.from_dict(read_section(session, CONFIG_KEY, {}))


def load_payment_config(ledger: Ledger) -> PaymentConfig:
    with ledger.session() as session:
        return payment_config(session)


def save_payment_config(ledger: Ledger, config: PaymentConfig, *, actor: str) -> None:
    """Store the settings (approval limits among them, so only an admin may); audited like every company setting."""
    with ledger.writer() as session:
        check_role(session, actor, roles=(ADMIN,))
        write_section(session, CONFIG_KEY, config.to_dict(), actor=actor, summary="payment settings")


def set_approval_limit(ledger: Ledger, *, approver: str | None, limit: Decimal | None, actor: str) -> PaymentConfig:
    """One approver's limit per run (or, with `approver` None, everybody's default); None lifts it. Admins only."""
    if limit is not None and limit < 0:
        raise PaymentError("limit", _("An approval limit cannot be negative."))
    with ledger.writer() as session:
        check_role(session, actor, roles=(ADMIN,))
        config = payment_config(session)
        if approver is None:
            config.single_approval_limit = limit
        else:
            user = session.scalar(select(User).where(User.name == approver, User.active.is_(True)))
            if user is None or user.role not in ("approver", ADMIN):
                raise PaymentError("user", _("{name} is not an active approver.").format(name=approver))
            if limit is None:
                config.approval_limits.pop(approver, None)
            else:
                config.approval_limits[approver] = limit
        who = approver or "every approver"
        write_section(session, CONFIG_KEY, config.to_dict(), actor=actor, summary=f"approval limit of {who}: {limit}")
        return config


def set_creditor_id(ledger: Ledger, creditor_id: str, *, actor: str) -> str:
    """Store the company's SEPA creditor identifier after checking its check digits."""
    compact = validate_creditor_id(creditor_id)
    with ledger.writer() as session:
        check_actor(session, actor)
        settings = company(session)
        settings.creditor_id = compact
        audit.record_row(session, actor=actor, action="update", row=settings, summary=f"creditor id {compact}")
    return compact
