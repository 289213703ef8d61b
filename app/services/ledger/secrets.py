"""Where a passphrase or PIN comes from: the environment, the OS keyring (opt-in) or a prompt."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from app.services.errors import KontorError
from app.services.i18n import _

log = logging.getLogger(__name__)
SERVICE = "Kontor"


class KeyringUnavailableError(KontorError, RuntimeError):
    pass


def _account(ledger: Path) -> str:
    return f"ledger:{Path(ledger).resolve()}"


def _keyring() -> ModuleType:
    """The keyring package, imported on first use: a command given KONTOR_PASSPHRASE never loads it (50 ms)."""
    import keyring
    import keyring.errors

    return keyring


def keyring_usable() -> bool:
    """False on servers without a keyring backend (the fail backend or the null backend)."""
    backend = _keyring().get_keyring()
    priority = getattr(backend, "priority", 0)
    return priority is not None and priority > 0


def remembered_passphrase(ledger: Path) -> str | None:
    if not keyring_usable():
        return None
    try:
        return _keyring().get_password(SERVICE, _account(ledger))
    except _keyring().errors.KeyringError:
        log.warning("the OS keyring could not be read")
        return None


def remember_passphrase(ledger: Path, passphrase: str) -> None:
    """Store only when the user ticked 'remember on this computer'."""
    if not keyring_usable():
        raise KeyringUnavailableError(
            _("No OS keyring is available on this computer; the passphrase will be asked each time.")
        )
    _keyring().set_password(SERVICE, _account(ledger), passphrase)


def forget_passphrase(ledger: Path) -> None:
    if not keyring_usable():
        return
    try:
        _keyring().delete_password(SERVICE, _account(ledger))
    except _keyring().errors.PasswordDeleteError:
        pass


def ledger_passphrase(ledger: Path, prompt: Callable[[], str]) -> str:
    """KONTOR_PASSPHRASE for automation, else the keyring if remembered, else ask."""
    from_env = os.environ.get("KONTOR_PASSPHRASE")
    if from_env:
        return from_env
    return remembered_passphrase(ledger) or prompt()


def _pin_account(connection_key: str) -> str:
    return f"fints:{connection_key}"


def remembered_pin(connection_key: str) -> str | None:
    """The online banking PIN for `blz/login`, if the user asked to remember it on this computer."""
    if not keyring_usable():
        return None
    try:
        return _keyring().get_password(SERVICE, _pin_account(connection_key))
    except _keyring().errors.KeyringError:
        log.warning("the OS keyring could not be read")
        return None


def remember_pin(connection_key: str, pin: str) -> None:
    """Store only when the user ticked 'remember PIN'; a PIN the bank refused is never stored."""
    if not keyring_usable():
        raise KeyringUnavailableError(
            _("No OS keyring is available on this computer; the PIN will be asked each time.")
        )
    _keyring().set_password(SERVICE, _pin_account(connection_key), pin)


def forget_pin(connection_key: str) -> None:
    """After a wrong PIN or when the connection is removed."""
    if not keyring_usable():
        return
    try:
        _keyring().delete_password(SERVICE, _pin_account(connection_key))
    except _keyring().errors.PasswordDeleteError:
        pass


def pin_key(blz: str, login: str) -> str:
    """The keyring name of one online banking login."""
    return f"{blz}/{login}"


def _server_account(url: str) -> str:
    return f"server:{url}"


def remembered_server_password(url: str) -> str | None:
    """The database password for a server ledger (its URL without password), if the user asked to keep it."""
    if not keyring_usable():
        return None
    try:
        return _keyring().get_password(SERVICE, _server_account(url))
    except _keyring().errors.KeyringError:
        log.warning("the OS keyring could not be read")
        return None


def remember_server_password(url: str, password: str) -> None:
    """Store only when the user asked to; a password the server refused is never stored."""
    if not keyring_usable():
        raise KeyringUnavailableError(
            _("No OS keyring is available on this computer; the password will be asked each time.")
        )
    _keyring().set_password(SERVICE, _server_account(url), password)


def forget_server_password(url: str) -> None:
    if not keyring_usable():
        return
    try:
        _keyring().delete_password(SERVICE, _server_account(url))
    except _keyring().errors.PasswordDeleteError:
        pass
