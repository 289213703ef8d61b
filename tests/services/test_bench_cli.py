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
    for name in ("process", "import", "matching", "reconciliation", "views", "window"):
        assert f"  {name} " in done.stdout


def test_an_unknown_benchmark_is_refused_before_any_runs() -> None:
    done = _bench("process", "nope")
    assert done.returncode == 2
    assert "unknown benchmark nope" in done.stderr
    assert done.stdout == ""


def test_the_reconciliation_benchmark_times_the_function_and_the_whole_command() -> None:
    """A small run end to end: the command line's `kontor match` on its own copy of the ledger books what the
    function does in the same run (same summary)."""
    done = _bench("reconciliation", "--", "--invoices", "300", "--payments", "600")
    assert done.returncode == 0, done.stderr
    lines = {line.strip().split("  ")[0]: line for line in done.stdout.splitlines()}
    assert "engine alone (anchor)" in lines
    assert "the same, whole command" in lines and "start to exit" in lines["the same, whole command"]


def test_the_window_benchmark_waits_for_the_dashboard_and_every_page() -> None:
    done = _bench("window", "--", "--invoices", "300", "--payments", "600", "--repeat", "1")
    assert done.returncode == 0, done.stderr
    lines = {line.split("  ")[0].strip(): line.split() for line in done.stdout.splitlines()}
    shown = float(lines["window: dashboard figures shown"][-3])
    forecast = float(lines["window: forecast card shown"][-3])
    loaded = float(lines["window: every page loaded"][-3])
    assert 0 < shown <= forecast <= loaded
