"""What went wrong with a file, in the user's language: the operating system words its errors in English
("No such file or directory") whatever language Kontor speaks."""

from __future__ import annotations

import errno
import os

from app.services.i18n import N_, _

# The errors a bookkeeper meets with files and folders; any other keeps the system's own text. By name, as not every
# system has every code (Windows has no EDQUOT of its own).
_WORDED = (
    ("ENOENT", N_("not found")),
    ("EACCES", N_("no permission")),
    ("EPERM", N_("no permission")),
    ("ENOSPC", N_("the disk is full")),
    ("EDQUOT", N_("the disk quota is used up")),
    ("EROFS", N_("the drive is read-only")),
    ("EISDIR", N_("is a folder, not a file")),
    ("ENOTDIR", N_("part of the path is not a folder")),
    ("EEXIST", N_("exists already")),
    ("ENAMETOOLONG", N_("the name is too long")),
    ("EBUSY", N_("in use by another program")),
    ("EIO", N_("the drive could not be read or written (input/output error)")),
)
_REASONS = {getattr(errno, name): text for name, text in _WORDED if hasattr(errno, name)}


def reason(error: OSError) -> str:
    """Why a file operation failed, without the path: 'nicht gefunden', 'keine Berechtigung', …"""
    known = _REASONS.get(error.errno) if error.errno is not None else None
    if known is not None:
        return _(known)
    return error.strerror or str(error) or type(error).__name__


def file_error(error: OSError, name: str | os.PathLike[str] | None = None) -> str:
    """'{file}: {reason}' for the file the error names, or `name` when given (a shorter name, or the error has
    none)."""
    where = name if name is not None else error.filename
    return f"{os.fspath(where)}: {reason(error)}" if where is not None else reason(error)
