"""One way to reach icons, style sheets and translations, from a checkout and from a frozen bundle."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon


def resources_dir() -> Path:
    """`resources/` beside `app/` in a checkout; inside `sys._MEIPASS` in a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    root = Path(bundle) if bundle else Path(__file__).resolve().parents[2]
    return root / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


@cache
def icon(name: str) -> QIcon:
    """The SVG icon `resources/icons/<name>.svg`; cached because menus and lists ask repeatedly."""
    return QIcon(str(resource_path("icons", f"{name}.svg")))


def stylesheet() -> str:
    return resource_path("style", "kontor.qss").read_text(encoding="utf-8")
