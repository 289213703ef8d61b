"""Ledger users with roles and personal passwords (scrypt), for four-eyes approval and the audit trail."""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.company import ROLES
from app.models.schema import User
from app.services import audit
from app.services.i18n import _

_N, _R, _P = 2**14, 8, 1


class UserError(ValueError):
    pass


class AuthenticationError(UserError):
    """Unknown user, inactive user or wrong password; the message does not say which, except for the name."""


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    name: str
    role: str
    active: bool
    created_at: datetime


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${key.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(key) // 2
    )
    return hmac.compare_digest(candidate.hex(), key)


def add_user(session: Session, *, name: str, role: str, password: str, actor: str) -> User:
    if role not in ROLES:
        raise UserError(_("Unknown role {role}; use one of {roles}.").format(role=role, roles=", ".join(ROLES)))
    if not name.strip():
        raise UserError(_("A user needs a name."))
    _check_new_password(password)
    if session.scalar(select(User).where(User.name == name)):
        raise UserError(_("A user named {name} exists already.").format(name=name))
    user = User(name=name.strip(), role=role, password_hash=hash_password(password))
    session.add(user)
    audit.record_row(session, actor=actor, action="create", row=user, summary=f"user {name} ({role})")
    return user


def _check_new_password(password: str) -> None:
    if len(password) < 4:
        raise UserError(_("A password needs at least 4 characters."))


def list_users(session: Session) -> list[UserRow]:
    """Everyone who can sign in to approvals, active or not, by name."""
    return [
        UserRow(user.id, user.name, user.role, user.active, user.created_at)
        for user in session.scalars(select(User).order_by(User.name))
    ]


def authenticate(session: Session, name: str, password: str) -> User:
    """The active user with this name and password; AuthenticationError otherwise (the same for every cause)."""
    user = session.scalar(select(User).where(User.name == name))
    # Hash even for unknown names, so timing does not tell which names exist.
    stored = user.password_hash if user is not None else _dummy_hash()
    if not check_password(password, stored) or user is None or not user.active:
        raise AuthenticationError(_("Wrong password or unknown user {name}.").format(name=name))
    return user


def change_password(
    session: Session, *, name: str, new_password: str, actor: str, old_password: str | None = None
) -> User:
    """Set a user's password; with `old_password` the user changes their own, without it an admin resets it."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise UserError(_("No user named {name}.").format(name=name))
    if old_password is not None:
        authenticate(session, name, old_password)
    _check_new_password(new_password)
    user.password_hash = hash_password(new_password)
    audit.record_row(session, actor=actor, action="update", row=user, summary=f"password of user {name}")
    return user


def current_actor() -> str:
    """Who is working: the Kontor user if one is set for this process, else the OS login."""
    return os.environ.get("KONTOR_USER") or getpass.getuser()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("no such user")
