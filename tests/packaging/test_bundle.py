"""The frozen bundle (`make bundle`) runs the daily loop from outside the repository; skipped where none is built."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / "dist" / "Kontor" / "kontor"


@pytest.mark.slow
@pytest.mark.skipif(not BINARY.is_file(), reason="no bundle in dist/Kontor: `make bundle` builds one and tests it")
def test_the_bundle_passes_its_smoke_test(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "smoke_bundle.py"), str(BINARY)],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("bundle smoke test passed")
