"""One way to reach icons, style sheets and translations, from a checkout and from a frozen bundle."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from app.services.paths import resource_path


@cache
def icon(name: str) -> QIcon:
    """The SVG icon `resources/icons/<name>.svg`; cached because menus and lists ask repeatedly."""
    return QIcon(str(resource_path("icons", f"{name}.svg")))


def stylesheet() -> str:
    return resource_path("style", "kontor.qss").read_text(encoding="utf-8")
