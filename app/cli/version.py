"""`kontor --version`: what a support request needs to know, gathered only when asked (Qt costs an import)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from app import __version__


def _package(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version  # 15 ms, only for --version

    try:
        return version(name)
    except PackageNotFoundError:  # a frozen bundle without the distribution's metadata
        return "?"


def version_lines() -> list[str]:
    """Kontor's version and ledger schema, and the versions of the parts that touch the ledger and the bank."""
    import sqlcipher3
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    from app.services.ledger.database import head_revision

    connection = sqlcipher3.connect(":memory:")
    try:
        cipher = connection.execute("PRAGMA cipher_version").fetchone()[0]
    finally:
        connection.close()
    return [
        f"kontor {__version__}",
        f"ledger schema {head_revision()}",
        f"SQLCipher {cipher} (SQLite {sqlcipher3.sqlite_version})",
        f"Qt {qVersion()} (PySide6 {pyside_version})",
        f"python-fints {_package('fints')}",
    ]


class VersionAction(argparse.Action):
    """Like argparse's "version" action, but the text is built when the option is given."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        print("\n".join(version_lines()))  # on stdout, as argparse's own version action does
        parser.exit()
