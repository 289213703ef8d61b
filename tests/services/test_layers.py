"""The core never imports Qt: every service module imports with PySide6 made unimportable."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import app.services


def test_services_import_without_qt() -> None:
    names = [m.name for m in pkgutil.walk_packages(app.services.__path__, "app.services.")]
    assert "app.services.ledger.database" in names
    script = (
        "import sys, importlib\n"
        "sys.modules['PySide6'] = None\nsys.modules['pyqtgraph'] = None\n"
        f"for name in {names!r}:\n    importlib.import_module(name)\n"
        "assert not any(m.startswith('app.views') for m in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
