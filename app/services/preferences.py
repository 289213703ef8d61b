"""Per-user preferences (language, recent ledgers): one typed dataclass saved as JSON, shared by CLI and GUI."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.services.i18n import SUPPORTED, default_language
from app.services.paths import config_dir
from app.services.private_files import make_parent, open_private

log = logging.getLogger(__name__)

FILE_NAME = "preferences.json"
MAX_RECENT = 8


@dataclass
class Preferences:
    """What one person chose on this computer; company data lives in the ledger instead."""

    language: str = field(default_factory=default_language)
    recent_ledgers: list[str] = field(default_factory=list)
    last_ledger: str | None = None

    def remember_ledger(self, path: Path) -> None:
        """Put a just-opened ledger first in the recent list and make it the one to reopen."""
        text = str(Path(path).expanduser().resolve())
        self.recent_ledgers = [text] + [p for p in self.recent_ledgers if p != text][: MAX_RECENT - 1]
        self.last_ledger = text

    def forget_ledger(self, path: Path) -> None:
        """Drop a ledger that moved or was deleted, so the start dialog stops offering it."""
        text = str(Path(path).expanduser().resolve())
        self.recent_ledgers = [p for p in self.recent_ledgers if p != text]
        if self.last_ledger == text:
            self.last_ledger = None

    def recent_paths(self) -> list[Path]:
        return [Path(p) for p in self.recent_ledgers]

    def ui_language(self) -> str:
        """KONTOR_LANG (automation, tests) wins over the saved choice."""
        wanted = os.environ.get("KONTOR_LANG", "")
        return wanted if wanted in SUPPORTED else self.language


def preferences_path() -> Path:
    return config_dir() / FILE_NAME


def load_preferences(path: Path | None = None) -> Preferences:
    """Defaults when the file is missing or unreadable: preferences must never stop the app from starting."""
    source = path or preferences_path()
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Preferences()
    except (OSError, ValueError) as error:
        log.warning("ignoring unreadable preferences %s: %s", source, error)
        return Preferences()
    if not isinstance(raw, dict):
        return Preferences()
    prefs = Preferences()
    if raw.get("language") in SUPPORTED:
        prefs.language = raw["language"]
    recent = raw.get("recent_ledgers")
    if isinstance(recent, list):
        prefs.recent_ledgers = [str(p) for p in recent if isinstance(p, str)][:MAX_RECENT]
    if isinstance(raw.get("last_ledger"), str):
        prefs.last_ledger = raw["last_ledger"]
    return prefs


def save_preferences(prefs: Preferences, path: Path | None = None) -> Path:
    """Write atomically, so a crash mid-write keeps the previous file."""
    target = path or preferences_path()
    make_parent(target)
    partial = target.with_name(target.name + ".partial")
    with open_private(partial, "w", encoding="utf-8") as stream:
        stream.write(json.dumps(asdict(prefs), indent=2, ensure_ascii=False))
    partial.replace(target)
    return target
