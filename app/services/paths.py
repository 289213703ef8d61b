"""Where Kontor keeps its files: ledgers in the user data directory, logs in the user log directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP = "Kontor"


def data_dir() -> Path:
    override = os.environ.get("KONTOR_HOME")
    return Path(override) / "data" if override else Path(platformdirs.user_data_dir(APP, appauthor=False))


def log_dir() -> Path:
    override = os.environ.get("KONTOR_HOME")
    return Path(override) / "logs" if override else Path(platformdirs.user_log_dir(APP, appauthor=False))


def config_dir() -> Path:
    override = os.environ.get("KONTOR_HOME")
    return Path(override) / "config" if override else Path(platformdirs.user_config_dir(APP, appauthor=False))


def state_dir() -> Path:
    """What this computer remembers about ledgers outside them, such as the audit log's last seen head."""
    override = os.environ.get("KONTOR_HOME")
    return Path(override) / "state" if override else Path(platformdirs.user_state_dir(APP, appauthor=False))


def own_dirs() -> tuple[Path, ...]:
    """The folders that belong to Kontor alone, kept private; a folder the user picks for a file stays theirs."""
    return data_dir(), log_dir(), config_dir(), state_dir()


LEDGER_SUFFIX = ".kontor"


def default_ledger() -> Path:
    return data_dir() / f"ledger{LEDGER_SUFFIX}"


def resources_dir() -> Path:
    """`resources/` beside `app/` in a checkout; inside `sys._MEIPASS` in a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    root = Path(bundle) if bundle else Path(__file__).resolve().parents[2]
    return root / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
