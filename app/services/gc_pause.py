"""Bulk work (an import, a matching run) allocates hundreds of thousands of small objects that stay alive until
it ends; Python's cyclic collector would walk them again and again, so it waits until the work is done."""

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
