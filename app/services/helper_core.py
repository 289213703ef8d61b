"""Where a command's helpers run on two cores: the statement worker and the key derivation share one core, and the
command's own thread, the one the user waits for, keeps the other.

Left to itself the scheduler gives three busy threads two thirds of a core each, so the command's thread, the
longest of them while it loads the ledger's code, takes longest; the helpers have time to spare beside it (a
10,000-booking MT940 import: 0.53 s → 0.47 s, the same work). Once the command writes, the worker is let go
(`release`): in a large CAMT import it is the longer side and needs a core of its own, its sender thread too. With
three cores or more each has one anyway.
"""

from __future__ import annotations

import os


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
            pass


def release(pid: int) -> None:
    """Let a helper process (every thread of it) run wherever this process may again."""
    if helper_core() is None:
        return
    allowed = os.sched_getaffinity(0)
    try:
        threads = [int(name) for name in os.listdir(f"/proc/{pid}/task")]
    except OSError:  # no /proc, or the process is gone
        threads = [pid]
    for thread in threads:
        try:
            os.sched_setaffinity(thread, allowed)
        except OSError:
            pass
