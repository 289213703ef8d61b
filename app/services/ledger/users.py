"""Ledger users with roles and personal passwords (scrypt): who signed in, for four-eyes approval and the audit trail.

Once a ledger has a user, every change to payments runs as a `SignedInUser`, which only `sign_in` hands out after
checking the password. Wrong passwords count per user; after `FREE_ATTEMPTS` the name is locked for a growing delay,
stored in the ledger so that a new process does not reset it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.company import ROLES
from app.models.schema import User
from app.services.errors import EXIT_SIGN_IN, KontorError
from app.services.i18n import _
from app.services.ledger import audit
from app.services.ledger.actor import current_actor as current_actor  # where callers have found it
from app.services.ledger.database import Ledger

_N, _R, _P = 2**14, 8, 1
FREE_ATTEMPTS = 5  # wrong passwords in a row before the name is locked
FIRST_LOCK = timedelta(seconds=30)  # doubled with every further wrong password
LONGEST_LOCK = timedelta(hours=1)
SIGN_IN_ENTITY = "sign_in"
ADMIN = "admin"


class UserError(KontorError, ValueError):
    pass


class AuthenticationError(UserError):
    exit_code = EXIT_SIGN_IN
    """Unknown user, inactive user or wrong password; the message does not say which, except for the name."""


class SignInLockedError(AuthenticationError):
    """Too many wrong passwords for this name; `until` is when the next attempt is checked (UTC)."""

    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until


@dataclass(frozen=True, slots=True)
class SignedInUser:
    """A user who proved their password in this process; the only way to act as someone in payments."""

    id: int
    name: str
    role: str


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


def has_users(session: Session) -> bool:
    """Whether the ledger has users; from the first one on, payments need a signed-in user."""
    return session.scalar(select(User.id).limit(1)) is not None


def ledger_has_users(ledger: Ledger) -> bool:
    with ledger.session() as session:
        return has_users(session)


def signed_in_user(session: Session, signed_in: SignedInUser, *, roles: tuple[str, ...] = ROLES) -> User:
    """The user's row as it is now: deactivated users and changed roles count from the next action on."""
    user = session.get(User, signed_in.id)
    if user is None or not user.active or user.name != signed_in.name:
        raise AuthenticationError(_("{name} is no longer an active user; sign in again.").format(name=signed_in.name))
    if user.role not in roles:
        raise UserError(
            _("{name} is a {role}; this needs a user with the role {roles}.").format(
                name=user.name, role=user.role, roles=" / ".join(roles)
            )
        )
    return user


def _active_user(session: Session, actor: str) -> User:
    if not actor:
        raise AuthenticationError(_("Sign in to change payments."))
    if not has_users(session):
        raise AuthenticationError(
            _("Payments need signed-in users: add the ledger's first user (its admin) with `kontor user add NAME`.")
        )
    user = session.scalar(select(User).where(User.name == actor, User.active.is_(True)))
    if user is None:
        raise AuthenticationError(_("{name} is not an active user; sign in as one.").format(name=actor))
    return user


def check_actor(session: Session, actor: str) -> None:
    """Refuse a payment change under a name that is not an active user (so also before the ledger has users)."""
    _active_user(session, actor)


def check_role(session: Session, actor: str, *, roles: tuple[str, ...]) -> None:
    """Like `check_actor`, for changes only some roles may make (approval limits: admins)."""
    user = _active_user(session, actor)
    if user.role not in roles:
        raise UserError(
            _("{name} is a {role}; this needs a user with the role {roles}.").format(
                name=user.name, role=user.role, roles=" / ".join(roles)
            )
        )


def add_user(session: Session, *, name: str, role: str, password: str, by: SignedInUser | None) -> User:
    """The first user is the ledger's admin and needs nobody; every further user is added by a signed-in admin."""
    if role not in ROLES:
        raise UserError(_("Unknown role {role}; use one of {roles}.").format(role=role, roles=", ".join(ROLES)))
    name = name.strip()
    if not name:
        raise UserError(_("A user needs a name."))
    first = not has_users(session)
    if first and role != ADMIN:
        raise UserError(_("The first user of a ledger is its admin; add {name} with the role admin.").format(name=name))
    if not first:
        if by is None:
            raise AuthenticationError(_("Adding a user needs an admin's sign-in."))
        signed_in_user(session, by, roles=(ADMIN,))
    _check_new_password(password)
    if session.scalar(select(User).where(User.name == name)):
        raise UserError(_("A user named {name} exists already.").format(name=name))
    user = User(name=name, role=role, password_hash=hash_password(password))
    session.add(user)
    actor = by.name if by is not None else name
    how = "first user, the ledger's admin" if first else f"added by admin {actor}"
    audit.record_row(session, actor=actor, action="create", row=user, summary=f"user {name} ({role}), {how}")
    return user


def _check_new_password(password: str) -> None:
    if len(password) < 4:
        raise UserError(_("A password needs at least 4 characters."))


def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise UserError(_("No user named {name}.").format(name=name))
    return user


def list_users(session: Session) -> list[UserRow]:
    """Everyone who can sign in to approvals, active or not, by name."""
    return [
        UserRow(user.id, user.name, user.role, user.active, user.created_at)
        for user in session.scalars(select(User).order_by(User.name))
    ]


def change_password(session: Session, *, name: str, new_password: str, by: SignedInUser) -> User:
    """Users change their own password (their sign-in proved the old one); an admin may reset anyone's."""
    signed_in_user(session, by, roles=ROLES if by.name == name else (ADMIN,))
    user = _user(session, name)
    _check_new_password(new_password)
    user.password_hash = hash_password(new_password)
    user.failed_sign_ins, user.locked_until = 0, None
    audit.record_row(session, actor=by.name, action="update", row=user, summary=f"password of user {name}")
    return user


def deactivate_user(session: Session, *, name: str, by: SignedInUser) -> User:
    """An admin takes a user's access away; the last active admin stays, so the ledger cannot lock itself out."""
    signed_in_user(session, by, roles=(ADMIN,))
    user = _user(session, name)
    if user.role == ADMIN:
        admins = session.scalars(select(User.id).where(User.role == ADMIN, User.active.is_(True))).all()
        if admins == [user.id]:
            raise UserError(_("{name} is the last active admin and stays active.").format(name=name))
    user.active = False
    audit.record_row(session, actor=by.name, action="update", row=user, summary=f"user {name} deactivated")
    return user


def reactivate_user(session: Session, *, name: str, by: SignedInUser) -> User:
    """An admin gives a deactivated user access again, with the password they had."""
    signed_in_user(session, by, roles=(ADMIN,))
    user = _user(session, name)
    user.active = True
    user.failed_sign_ins, user.locked_until = 0, None
    audit.record_row(session, actor=by.name, action="update", row=user, summary=f"user {name} reactivated")
    return user


def change_role(session: Session, *, name: str, role: str, by: SignedInUser) -> User:
    """An admin changes what a user may do; the last active admin keeps the role, as with deactivation."""
    signed_in_user(session, by, roles=(ADMIN,))
    if role not in ROLES:
        raise UserError(_("Unknown role {role}; use one of {roles}.").format(role=role, roles=", ".join(ROLES)))
    user = _user(session, name)
    if user.role == role:
        return user
    if user.role == ADMIN and user.active:
        admins = session.scalars(select(User.id).where(User.role == ADMIN, User.active.is_(True))).all()
        if admins == [user.id]:
            raise UserError(_("{name} is the last active admin and stays admin.").format(name=name))
    previous, user.role = user.role, role
    summary = f"role of user {name}: {previous} -> {role}"
    audit.record_row(session, actor=by.name, action="update", row=user, summary=summary)
    return user


def _lock_for(failures: int) -> timedelta:
    return min(FIRST_LOCK * 2 ** (failures - FREE_ATTEMPTS), LONGEST_LOCK)


def _record(session: Session, *, action: str, name: str, summary: str) -> None:
    audit.record(
        session, actor=name, action=action, entity=SIGN_IN_ENTITY, entity_id=None, data={"user": name}, summary=summary
    )


def check_sign_in(session: Session, name: str, password: str, *, now: datetime) -> SignedInUser | AuthenticationError:
    """Check one attempt and record it (audit event, failure count); the error is returned so the caller commits."""
    user = session.scalar(select(User).where(User.name == name))
    shown = name[:100]
    if user is not None and user.locked_until is not None and now < user.locked_until:
        _record(session, action="sign_in_refused", name=shown, summary=f"sign-in of {shown} refused: locked")
        seconds = int((user.locked_until - now).total_seconds()) + 1
        return SignInLockedError(
            _("Too many wrong passwords for {name}; try again in {seconds} seconds.").format(
                name=shown, seconds=seconds
            ),
            user.locked_until,
        )
    # Hash even for unknown names, so timing does not tell which names exist.
    stored = user.password_hash if user is not None else _dummy_hash()
    if check_password(password, stored) and user is not None and user.active:
        user.failed_sign_ins, user.locked_until = 0, None
        _record(session, action="sign_in", name=user.name, summary=f"{user.name} signed in")
        return SignedInUser(user.id, user.name, user.role)
    summary = f"wrong password or unknown user {shown}"
    if user is not None:
        user.failed_sign_ins += 1
        if user.failed_sign_ins >= FREE_ATTEMPTS:
            user.locked_until = now + _lock_for(user.failed_sign_ins)
            summary += f", {user.failed_sign_ins} in a row: locked until {user.locked_until:%Y-%m-%d %H:%M:%S} UTC"
    _record(session, action="sign_in_failed", name=shown, summary=summary)
    return AuthenticationError(_("Wrong password or unknown user {name}.").format(name=shown))


def sign_in(ledger: Ledger, name: str, password: str, *, now: datetime | None = None) -> SignedInUser:
    """Prove a user's password; failures are committed (counted, audited) before the error is raised. Blocks."""
    with ledger.writer() as session:
        outcome = check_sign_in(session, name.strip(), password, now=now or utcnow())
    if isinstance(outcome, AuthenticationError):
        raise outcome
    return outcome


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("no such user")
