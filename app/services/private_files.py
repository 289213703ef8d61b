"""Files and folders only their owner may read: the ledger, its logs, backups and exports all hold bank data.

On POSIX every file Kontor writes is created 0600 and every folder it creates 0700, whatever the umask says
(a umask only takes bits away, so the mode is set again right after creation, before any content is written).
On Windows the user profile's ACLs already keep other users out; nothing is changed there.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import IO, Any

from app.services.paths import own_dirs

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
POSIX = os.name == "posix"


def _restrict(path: Path, mode: int) -> None:
    """chmod, tolerated where the file system has no POSIX modes (a FAT stick, some network shares)."""
    try:
        os.chmod(path, mode)
    except OSError as error:
        log.warning("could not restrict the permissions of %s: %s", path, error.strerror)


def tighten(path: Path) -> None:
    """Take group and other access away from a file or folder an older Kontor (or a copy) left readable."""
    if not POSIX or not path.exists():
        return
    mode = DIR_MODE if path.is_dir() else FILE_MODE
    if path.stat().st_mode & 0o777 & ~mode:
        _restrict(path, mode)


def make_dirs(folder: Path) -> Path:
    """Create `folder` and its missing parents 0700; folders that exist already are the user's and stay as they are."""
    folder = Path(folder)
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for candidate in reversed(missing):
        candidate.mkdir(mode=DIR_MODE, exist_ok=True)
        if POSIX:
            _restrict(candidate, DIR_MODE)
    return folder


def private_dir(folder: Path) -> Path:
    """One of Kontor's own folders (data, logs, settings): created 0700, and tightened if it exists."""
    make_dirs(folder)
    tighten(Path(folder))
    return Path(folder)


def make_parent(path: Path) -> Path:
    """The folder a file is about to be written to: missing folders 0700, and Kontor's own folder tightened."""
    folder = Path(path).parent
    make_dirs(folder)
    if POSIX and folder.exists() and any(folder.samefile(own) for own in own_dirs() if own.exists()):
        tighten(folder)
    return folder


def create_private(path: Path) -> None:
    """Create `path` empty and 0600 unless it exists (then only tighten it), e.g. for SQLite to open it next."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0), FILE_MODE)
    try:
        if POSIX:
            _fchmod(fd, path)
    finally:
        os.close(fd)


def _fchmod(fd: int, path: Path) -> None:
    try:
        os.fchmod(fd, FILE_MODE)
    except OSError as error:
        log.warning("could not restrict the permissions of %s: %s", path, error.strerror)


def open_private(path: Path | str, mode: str = "w", **options: Any) -> IO[Any]:
    """`open(path, mode)` for writing ("w", "wb", "a", "ab"), with the file 0600 before the first byte is written."""
    path = Path(path)
    if mode.rstrip("b") not in ("w", "a"):
        raise ValueError(f"open_private writes only, not {mode!r}")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode.startswith("a") else os.O_TRUNC)
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0), FILE_MODE)
    try:
        if POSIX:
            _fchmod(fd, path)
        return os.fdopen(fd, mode, **options)
    except BaseException:
        os.close(fd)
        raise
