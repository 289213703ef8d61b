"""Bulk work (an import, a matching run) and a command's start allocate hundreds of thousands of small objects that
stay alive until it ends; Python's cyclic collector would walk them again and again, so it waits or runs rarely."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
