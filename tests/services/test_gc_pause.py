"""Bulk work with the collector paused (`collector_paused`): in a process that ends after its command, what the
work leaves alive is frozen instead of walked again as young objects; a window keeps collecting as usual. Run in
fresh interpreters: the collector's generations are the whole process's."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import gc, weakref
    from app.services import gc_pause

    class Node:
        pass

    gc_pause.{mark}()
    with gc_pause.collector_paused():
        kept = [[n] for n in range(200_000)]
        cycle = Node()
        cycle.me = cycle
        gone = weakref.ref(cycle)
    walked, frozen = len(gc.get_objects()), gc.get_freeze_count()  # every generation's, not the frozen
    del cycle
    gc.collect()
    print(walked, frozen, gone() is None, gc.isenabled(), len(kept))
    """
)


def _run(mark: str) -> tuple[int, int, bool]:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(mark=mark)], capture_output=True, text=True, check=True
    )
    walked, frozen, freed, enabled, kept = result.stdout.split()
    assert enabled == "True" and kept == "200000"
    return int(walked), int(frozen), freed == "True"


def test_a_commands_bulk_work_leaves_its_survivors_frozen_not_young() -> None:
    walked, frozen, _freed = _run("one_command")
    assert walked < 100_000  # the collector's generations hold what came after the work, not the 200,000 lists
    assert frozen >= 200_000


@pytest.mark.parametrize("mark", ["long_running", "one_command"])
def test_a_window_keeps_collecting_what_bulk_work_leaves_behind(mark: str) -> None:
    walked, frozen, freed = _run(mark)
    if mark == "long_running":
        assert walked >= 200_000 and frozen == 0
        assert freed  # a cycle the work left behind is freed by the next collection
    else:
        assert not freed  # frozen: what a window must not do, as it would never be freed
