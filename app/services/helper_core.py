"""Where a command's helpers run on two cores: the statement worker and the key derivation share one core, and the
command's own thread, the one the user waits for, keeps the other.

Left to itself the scheduler gives three busy threads two thirds of a core each, so the command's thread, the
longest of them while it loads the ledger's code, takes longest; the helpers have time to spare beside it (a
10,000-booking MT940 import: 0.53 s → 0.47 s, the same work). Once the command's thread waits for a helper (the
derived key, the first statement) its core is free, and every helper is let go (`release_all`): in a large CAMT
import the worker is the longer side and needs a core of its own, its sender thread too. With three cores or more
each has one anyway.
"""

from __future__ import annotations

import os

_placed: set[int] = set()  # helpers on the helper core: processes (pids) and threads of this process (native ids)


def cores() -> int:
    """The cores this process may run on (its affinity where the system has one)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def helper_core() -> set[int] | None:
    """The core the helpers share when this process may run on exactly two; None otherwise (or no affinities)."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is None:
        return None
    allowed = affinity(0)
    return {max(allowed)} if len(allowed) == 2 else None


def keep_to_helper_core(native_id: int) -> None:
    """Run a helper thread (its native id) or process (its pid) on the helper core, if there is one."""
    core = helper_core()
    if core is not None:
        try:
            os.sched_setaffinity(native_id, core)
        except OSError:  # gone already: nothing to place
            return
        _placed.add(native_id)


def release(helper: int) -> None:
    """Let a helper (a process, every thread of it, or a thread of this process) run wherever this process may."""
    _placed.discard(helper)
    if helper_core() is None:
        return
    allowed = os.sched_getaffinity(0)
    try:
        own_thread = os.path.exists(f"/proc/self/task/{helper}")
        threads = [helper] if own_thread else [int(name) for name in os.listdir(f"/proc/{helper}/task")]
    except OSError:  # no /proc, or the process is gone
        threads = [helper]
    for thread in threads:
        try:
            os.sched_setaffinity(thread, allowed)
        except OSError:
            pass


def forget(helper: int) -> None:
    """A helper ended: never place or release its id again (the system may give it to another)."""
    _placed.discard(helper)


def release_all() -> None:
    """The command's thread is about to wait for a helper: its core is free, so every helper may use it."""
    for helper in list(_placed):
        release(helper)
