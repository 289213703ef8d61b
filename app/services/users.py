"""Ledger users with roles and personal passwords (scrypt), for four-eyes approval and the audit trail."""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.company import ROLES
from app.models.schema import User
from app.services import audit
from app.services.i18n import _

_N, _R, _P = 2**14, 8, 1


class UserError(ValueError):
    pass


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
        raise UserError(
            _("Unknown role {role}; use one of {roles}.").format(role=role, roles=", ".join(ROLES))
        )
    if not name.strip():
        raise UserError(_("A user needs a name."))
    if session.scalar(select(User).where(User.name == name)):
        raise UserError(_("A user named {name} exists already.").format(name=name))
    user = User(name=name.strip(), role=role, password_hash=hash_password(password))
    session.add(user)
    audit.record_row(session, actor=actor, action="create", row=user, summary=f"user {name} ({role})")
    return user


def current_actor() -> str:
    """Who is working: the Kontor user if one is set for this process, else the OS login."""
    return os.environ.get("KONTOR_USER") or getpass.getuser()
