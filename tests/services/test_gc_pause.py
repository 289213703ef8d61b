"""Bulk work with the collector paused (`collector_paused`): in a process that ends after its command, what the
work leaves alive is frozen instead of walked again as young objects; a window keeps collecting as usual; the
engine pauses the collector itself. The first two run in fresh interpreters: the generations are the process's."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

from app.services.matching import Matcher
from bench.matching_data import generate

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
    walked, frozen, freed = _run("one_command")
    assert walked < 100_000  # the collector's generations hold what came after the work, not the 200,000 lists
    assert frozen >= 200_000
    assert not freed  # a cycle the work left behind stays to the end: a command ends soon, a window must not


def test_a_window_keeps_collecting_what_bulk_work_leaves_behind() -> None:
    walked, frozen, freed = _run("long_running")
    assert walked >= 200_000 and frozen == 0
    assert freed  # a cycle the work left behind is freed by the next collection


def test_building_the_matcher_and_a_run_leave_the_collector_out() -> None:
    """Any caller of the engine, not only `kontor match`: the collector does not run during the build or during
    `match_all` (16 and 35 passes here without the pause), only once as each ends, and is back on afterwards."""
    books = generate(invoices=2_000, payments=4_000, seed=3)
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        matcher = Matcher(books.invoices, books.customers, knowledge=books.knowledge)
        built = len(collections)
        results = matcher.match_all(books.payments)
        matched = len(collections) - built
    finally:
        gc.callbacks.remove(count)
    assert gc.isenabled()
    assert len(results) == len(books.payments)
    assert built <= 1 and matched <= 1
