"""Who a change is recorded for, without the ledger's database stack: the CLI names the actor before it opens one."""

from __future__ import annotations

import getpass
import os


def current_actor() -> str:
    """Who did a change outside payments (imports, matching): the Kontor user if set, else the OS login."""
    return os.environ.get("KONTOR_USER") or getpass.getuser()
