"""On two cores a command's helpers (the statement worker, the key derivation) share one core and leave the other
to the command's own thread; elsewhere the scheduler places them."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger_templates import new_ledger

from app.services import helper_core
from app.services.ledger import keys
from app.services.statements import worker
from bench.statement_data import write_mt940

needs_affinity = pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity on this system")


@pytest.fixture
def two_cores() -> Iterator[set[int]]:
    """This process limited to two of the machine's cores for the test (its own thread stays there)."""
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        pytest.skip("one core: no worker is started")
    two = set(sorted(allowed)[:2])
    os.sched_setaffinity(0, two)
    yield two
    os.sched_setaffinity(0, allowed)


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "k.kontor"
    new_ledger(path, "pw", company_name="Kern GmbH").close()
    return path


@needs_affinity
@pytest.mark.parametrize(("allowed", "expected"), [({0, 1}, {1}), ({2, 5}, {5}), ({0}, None), ({0, 1, 2, 3}, None)])
def test_the_helper_core_exists_on_exactly_two(
    monkeypatch: pytest.MonkeyPatch, allowed: set[int], expected: set[int] | None
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: allowed)
    assert helper_core.helper_core() == expected


@needs_affinity
def test_the_worker_and_the_key_derivation_run_on_the_helper_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, two_cores: set[int], ledger: Path
) -> None:
    """Real placements, in a process limited to two of this machine's cores; the test's own thread is not moved."""
    seen: list[set[int]] = []
    derive = keys._derive

    def noting(passphrase: str, salt: bytes) -> str:
        seen.append(os.sched_getaffinity(0))  # the derivation's own thread
        return derive(passphrase, salt)

    monkeypatch.setattr(keys, "_derive", noting)
    reader = worker.start_reader(write_mt940(tmp_path / "s.sta", 20))
    assert reader is not None
    try:
        assert os.sched_getaffinity(reader._process.pid) == {max(two_cores)}
    finally:
        reader.close()
    keys.prepare_key(ledger, "pw")
    assert keys.raw_key("pw", keys.read_salt(ledger) or b"")
    assert seen == [{max(two_cores)}]
    assert os.sched_getaffinity(0) == two_cores


@needs_affinity
def test_a_released_worker_may_run_on_either_core(tmp_path: Path, two_cores: set[int]) -> None:
    """Once the command waits for its rows, the worker (every thread of it) may use both cores again."""
    reader = worker.start_reader(write_mt940(tmp_path / "s.sta", 20_000))  # still parsing at the first
    assert reader is not None
    rows = reader.rows()
    next(rows)
    threads = [int(name) for name in os.listdir(f"/proc/{reader._process.pid}/task")]
    assert threads and all(os.sched_getaffinity(thread) == two_cores for thread in threads)
    rows.close()


@needs_affinity
def test_waiting_for_the_key_lets_every_helper_use_the_waiting_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, two_cores: set[int], ledger: Path
) -> None:
    """The command's thread blocks on an unfinished derivation: the derivation and the worker (which waits for
    nobody) may then run on its core too, instead of taking turns on the helper core."""
    seen: list[set[int]] = []
    derive = keys._derive

    def until_released(passphrase: str, salt: bytes) -> str:
        seen.append(os.sched_getaffinity(0))
        deadline = time.monotonic() + 10
        while os.sched_getaffinity(0) != two_cores and time.monotonic() < deadline:
            time.sleep(0.005)  # finishes only once raw_key has let it go
        seen.append(os.sched_getaffinity(0))
        return derive(passphrase, salt)

    monkeypatch.setattr(keys, "_derive", until_released)
    reader = worker.start_reader(write_mt940(tmp_path / "s.sta", 20_000))
    assert reader is not None
    try:
        keys.prepare_key(ledger, "pw")
        assert os.sched_getaffinity(reader._process.pid) == {max(two_cores)}
        assert keys.raw_key("pw", keys.read_salt(ledger) or b"")
        assert seen == [{max(two_cores)}, two_cores]
        assert os.sched_getaffinity(reader._process.pid) == two_cores
    finally:
        reader.close()
    assert not helper_core._placed  # neither the ended worker nor the ended thread is placed again


@needs_affinity
def test_a_process_limited_to_one_core_matches_without_a_copy() -> None:
    """Matching ahead in a fork needs a second core this process may use, not merely one in the machine."""
    from app.services.matching import speculation

    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(allowed)})
    try:
        assert not speculation.can_fork()
    finally:
        os.sched_setaffinity(0, allowed)
    assert speculation.can_fork() == (len(allowed) >= 2)
