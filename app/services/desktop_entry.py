"""`kontor --install-desktop-entry`: Kontor in the user's application menu and as the program for its files.

The freedesktop.org way, per user and without root: the menu entry, the file types (ledgers, MT940 and CAMT
statements, so a double click opens them in Kontor), the icon and the AppStream metadata go below
`$XDG_DATA_HOME` (`~/.local/share`); the desktop's caches are refreshed where their tools are installed.
The entry runs the Kontor it was installed from: the bundle's binary, or this installation's `kontor` command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from app.services.paths import resources_dir

APP_ID = "de.kontor.Kontor"
# Characters that make the Desktop Entry spec want an argument quoted.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def launcher() -> list[str]:
    """The command that starts this Kontor: the frozen binary, the `kontor` script, or `python -m app`."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    script = Path(sys.argv[0])
    if script.name == "kontor" and script.is_file():
        return [str(script.resolve())]
    return [sys.executable, "-m", "app"]


def exec_quoted(argument: str) -> str:
    """An argument as the Exec key needs it: plain, or in double quotes with `"`, `` ` ``, `$` and `\\` escaped."""
    if argument and not _RESERVED & set(argument):
        return argument.replace("%", "%%")
    escaped = "".join("\\" + char if char in '"`$\\' else char for char in argument)
    return f'"{escaped}"'.replace("%", "%%")


def _targets(home: Path) -> dict[str, Path]:
    """Where each of the entry's files goes, by its name in resources/desktop (or the icon)."""
    return {
        f"{APP_ID}.desktop": home / "applications" / f"{APP_ID}.desktop",
        f"{APP_ID}.xml": home / "mime" / "packages" / f"{APP_ID}.xml",
        f"{APP_ID}.metainfo.xml": home / "metainfo" / f"{APP_ID}.metainfo.xml",
        "icon": home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg",
    }


def _bundled_icons() -> list[tuple[Path, Path]]:
    """The PNG sizes a bundle carries in share/icons (rendered at build time), relative to the icons folder."""
    if not getattr(sys, "frozen", False):
        return []
    root = Path(sys.executable).resolve().parent / "share" / "icons"
    return [(png, png.relative_to(root)) for png in sorted(root.rglob(f"{APP_ID}.png"))]


def install_desktop_entry(home: Path | None = None) -> list[Path]:
    """Write the menu entry, file types, icons and metadata for this user; returns the files written."""
    home = home or data_home()
    source = resources_dir() / "desktop"
    targets = _targets(home)
    written: list[Path] = []
    command = " ".join(exec_quoted(part) for part in launcher())
    entry = (source / f"{APP_ID}.desktop").read_text(encoding="utf-8").replace("@EXEC@", command)
    for name, target in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        if name == f"{APP_ID}.desktop":
            target.write_text(entry, encoding="utf-8")
        elif name == "icon":
            shutil.copyfile(resources_dir() / "icons" / "kontor.svg", target)
        else:
            shutil.copyfile(source / name, target)
        written.append(target)
    for png, relative in _bundled_icons():
        target = home / "icons" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, target)
        written.append(target)
    _refresh_caches(home)
    return written


def remove_desktop_entry(home: Path | None = None) -> list[Path]:
    """Take back what `install_desktop_entry` wrote; returns the files removed."""
    home = home or data_home()
    candidates = list(_targets(home).values()) + sorted((home / "icons" / "hicolor").glob(f"*/apps/{APP_ID}.png"))
    removed = [path for path in candidates if path.is_file()]
    for path in removed:
        path.unlink()
    _refresh_caches(home)
    return removed


def _refresh_caches(home: Path) -> None:
    """The desktop reads file types and menu entries from caches; their tools are optional."""
    for tool, folder in (
        ("update-mime-database", home / "mime"),
        ("update-desktop-database", home / "applications"),
        ("gtk-update-icon-cache", home / "icons" / "hicolor"),
    ):
        program = shutil.which(tool)
        if program is not None and folder.is_dir():
            subprocess.run([program, str(folder)], capture_output=True, timeout=60, check=False)
