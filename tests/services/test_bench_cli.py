"""`python -m bench --help` explains instead of running every benchmark; an unknown name runs nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def test_help_lists_the_benchmarks_and_runs_none() -> None:
    done = _bench("--help")
    assert done.returncode == 0
    assert "==" not in done.stdout  # no benchmark started
    for name in ("process", "import", "matching", "reconciliation", "views"):
        assert f"  {name} " in done.stdout


def test_an_unknown_benchmark_is_refused_before_any_runs() -> None:
    done = _bench("process", "nope")
    assert done.returncode == 2
    assert "unknown benchmark nope" in done.stderr
    assert done.stdout == ""
