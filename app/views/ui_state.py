"""Pure UI state (geometry, splitters, header widths) in QSettings; preferences live elsewhere, Qt-free."""

from __future__ import annotations

from PySide6.QtCore import QSettings

ORGANIZATION = "Kontor"
APPLICATION = "Kontor"


def ui_state() -> QSettings:
    """An INI file in the user scope, so tests can redirect it with `QSettings.setPath`."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)
