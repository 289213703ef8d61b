"""Where Kontor keeps its files: ledgers in the user data directory, logs in the user log directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from platformdirs import PlatformDirs

APP = "Kontor"


def _platform() -> PlatformDirs:
    """The system's folders for Kontor. platformdirs (6 ms with what it loads) comes when a folder is asked for:
    the statement worker a command forks first thing never asks."""
    import platformdirs

    return platformdirs.PlatformDirs(APP, appauthor=False)


def data_dir() -> Path:
    override = os.environ.get("KONTOR_HOME")
    return Path(override) / "data" if override else Path(_platform().user_data_dir)


def log_dir() -> Path:
    override = os.environ.get("KONTOR_HOME")
    return Path(override) / "logs" if override else Path(_platform().user_log_dir)


def config_dir() -> Path:
    override = os.environ.get("KONTOR_HOME")
    return Path(override) / "config" if override else Path(_platform().user_config_dir)


def state_dir() -> Path:
    """What this computer remembers about ledgers outside them, such as the audit log's last seen head."""
    override = os.environ.get("KONTOR_HOME")
    return Path(override) / "state" if override else Path(_platform().user_state_dir)


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
