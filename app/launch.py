"""`kontor`, the program: what can begin before the command line's code loads, then the command line (app.cli).

`kontor import statement FILE…` forks the worker that reads its first file here, 20 ms into the process rather
than 60: the copy loads the reader's code while this process loads the command line's, and at 10,000 bookings
that is a twentieth of the command.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

GLOBAL_VALUES = ("--ledger",)  # `kontor`'s options that take a value (tests keep both lists in step with the parser)
STATEMENT_VALUES = ("--account", "--profile", "--map", "--save-profile")  # `kontor import statement`'s


def run() -> NoReturn:
    start_early(sys.argv[1:])
    from app.cli import run as run_command_line

    run_command_line()


def start_early(argv: Sequence[str]) -> None:
    """Fork the statement worker of an import's first file, before anything else loads."""
    path = first_statement_file(argv)
    if path is not None:
        from app.services.statements.forked_worker import fork_early

        fork_early(path)


def first_statement_file(argv: Sequence[str]) -> Path | None:
    """The first FILE of `kontor [OPTIONS] import statement [OPTIONS] FILE…` as a scan without the parser reads it;
    None for any other command line. A wrong guess costs a worker that is ended unused (forked_worker.take_early)."""
    words = iter(argv)
    command: list[str] = []
    for word in words:
        if word in GLOBAL_VALUES:
            next(words, None)
        elif not word.startswith("-"):
            command.append(word)
            if len(command) == 2:
                break
    if command != ["import", "statement"]:
        return None
    for word in words:
        if word in STATEMENT_VALUES:
            next(words, None)
        elif word == "--":
            return None
        elif not word.startswith("-"):
            return Path(word)
    return None
