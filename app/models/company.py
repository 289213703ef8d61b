"""Who uses the ledger: the company's settings and its users with their roles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow

ROLES = ("bookkeeper", "approver", "admin")


class CompanySettings(Base):
    """One row: the company the ledger belongs to, plus settings stored as JSON."""

    __tablename__ = "company_settings"
    __audited__ = ("name", "creditor_id", "currency", "settings_json")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    creditor_id: Mapped[str] = mapped_column(String(35), default="")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    settings_json: Mapped[str] = mapped_column(Text, default="{}")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)
    __audited__ = ("name", "role", "password_hash", "active")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Rate limiting of sign-ins: kept in the ledger so a new process does not reset it; not audited state.
    failed_sign_ins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
