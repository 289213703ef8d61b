"""Bulk work (an import, a matching run) and a command's start allocate hundreds of thousands of small objects that
stay alive until it ends; Python's cyclic collector would walk them again and again, so it waits or runs rarely."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_freeze_after_bulk = False  # set for a process that runs one command and ends (`one_command`)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No collection during the block. In a process that ends after its command, what the block leaves alive (a
    matching run's matcher and results, over a million objects after 100,000 payments) is frozen: re-enabled,
    the collector would first walk every one of them as a young object (0.2 s), just before the process ends.
    A window keeps collecting as usual: what it froze would never be freed."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if _freeze_after_bulk:
                gc.freeze()
            gc.enable()


def one_command() -> None:
    """This process runs one command and ends without the interpreter's teardown (`app.cli.run`)."""
    global _freeze_after_bulk
    _freeze_after_bulk = True


def long_running() -> None:
    """This process goes on after its bulk work (the window): the collector is left to free what it can."""
    global _freeze_after_bulk
    _freeze_after_bulk = False


_USUAL = gc.get_threshold()
_WHILE_STARTING = (100_000, 50, 1000)  # the youngest objects collected about 140 times less often


def collect_rarely_while_starting() -> None:
    """The start of a `kontor` command: loading SQLAlchemy, the models and the command's modules allocates
    hundreds of thousands of objects that live to the end, and the collector's passes over them as they come
    cost about 35 ms of every command (a fifteenth of a small import). It still collects, less often, until
    `started`."""
    gc.set_threshold(*_WHILE_STARTING)


def started() -> None:
    """Start-up is over (the ledger is open): its objects move to a generation the collector no longer walks
    (`gc.freeze`), and the usual thresholds return."""
    if gc.get_threshold() == _WHILE_STARTING:
        gc.freeze()
        gc.set_threshold(*_USUAL)
