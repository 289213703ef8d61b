"""Passphrases come from the environment, the keyring (only when asked) or a prompt."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from app.services.ledger import secrets


def test_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KONTOR_PASSPHRASE", "aus-env")
    assert secrets.ledger_passphrase(tmp_path / "l.kontor", lambda: pytest.fail("must not prompt")) == "aus-env"


def test_keyring_only_after_remember(tmp_path: Path) -> None:
    ledger = tmp_path / "l.kontor"
    assert secrets.ledger_passphrase(ledger, lambda: "getippt") == "getippt"
    secrets.remember_passphrase(ledger, "gemerkt")
    assert secrets.ledger_passphrase(ledger, lambda: pytest.fail("must not prompt")) == "gemerkt"
    secrets.forget_passphrase(ledger)
    assert secrets.ledger_passphrase(ledger, lambda: "wieder getippt") == "wieder getippt"


def test_no_keyring_backend_says_so_and_falls_back(tmp_path: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(secrets.KeyringUnavailableError, match="No OS keyring"):
        secrets.remember_passphrase(tmp_path / "l.kontor", "x")
    assert secrets.ledger_passphrase(tmp_path / "l.kontor", lambda: "prompted") == "prompted"
