"""What went wrong with a file, in the user's language: the operating system words its errors in English
("No such file or directory") whatever language Kontor speaks."""

from __future__ import annotations

import errno
import os

from app.services.i18n import N_, _

# The errors a bookkeeper meets with files and folders; any other keeps the system's own text.
_REASONS = {
    errno.ENOENT: N_("not found"),
    errno.EACCES: N_("no permission"),
    errno.EPERM: N_("no permission"),
    errno.ENOSPC: N_("the disk is full"),
    errno.EDQUOT: N_("the disk quota is used up"),
    errno.EROFS: N_("the drive is read-only"),
    errno.EISDIR: N_("is a folder, not a file"),
    errno.ENOTDIR: N_("part of the path is not a folder"),
    errno.EEXIST: N_("exists already"),
    errno.ENAMETOOLONG: N_("the name is too long"),
    errno.EBUSY: N_("in use by another program"),
    errno.EIO: N_("the drive could not be read or written (input/output error)"),
}


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
