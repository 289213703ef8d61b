"""Fixtures of the replay tests: a ledger per test (a copy of one made once) and the CLI on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from replay_cli import PASSPHRASE, Cli

from app.cli import main


@pytest.fixture(scope="session")
def blank_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One freshly created ledger, copied for each test (creating one costs a key derivation)."""
    path = tmp_path_factory.mktemp("replay") / "blank.kontor"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KONTOR_PASSPHRASE", PASSPHRASE)
        assert main(["--ledger", str(path), "init", "--company", "Replay GmbH"]) == 0
    return path


@pytest.fixture
def cli(blank_ledger: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(monkeypatch, capsys, Path(shutil.copy(blank_ledger, tmp_path / "replay.kontor")))
