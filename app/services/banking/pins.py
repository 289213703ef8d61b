"""Where a bank PIN comes from: the environment for automation, the keyring when the user asked, else a prompt."""

from __future__ import annotations

import os
from typing import Protocol

from app.services.banking.prompts import UserPrompts
from app.services.ledger.secrets import pin_key, remembered_pin


class BankLoginName(Protocol):
    """What names a login for the keyring and the PIN prompt (a BankConnection or its summary)."""

    @property
    def blz(self) -> str: ...

    @property
    def login(self) -> str: ...

    @property
    def bank_name(self) -> str: ...


def pin_for(connection: BankLoginName, prompts: UserPrompts) -> str | None:
    """KONTOR_PIN for automation, else the keyring if remembered, else ask (None: the user cancelled)."""
    from_env = os.environ.get("KONTOR_PIN")
    if from_env:
        return from_env
    remembered = remembered_pin(pin_key(connection.blz, connection.login))
    return remembered or prompts.ask_pin(f"{connection.login} @ {connection.bank_name or connection.blz}")
