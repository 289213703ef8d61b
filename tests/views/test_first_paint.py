"""The import budget of the first window: `kontor gui` paints the unlock dialog before the service stack loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ledger_templates import new_ledger
from PySide6.QtGui import QImage

from bench.process_bench import FIRST_PAINT

ROOT = Path(__file__).resolve().parents[2]
# Needed only once a ledger is open (or a migration is due): never before the first window is on screen.
# The database stack and the keyring load on a worker behind the painted dialog (show first, load after).
NOT_BEFORE_FIRST_PAINT = (
    "sqlalchemy",
    "sqlcipher3",
    "keyring",
    "lxml",
    "schwifty",
    "rapidfuzz",
    "sepaxml",
    "mt940",
    "app.models",
    "app.services.ledger.database",
    "fints",
    "app.demobank",
    "alembic",
    "pyqtgraph",
    "app.views.main_window",
    "fpdf",
    "segno",
    "pypdfium2",
    "app.services.banking",  # the TAN prompts' types: the job runner and the CLI's terminal prompts load them late
    "app.services.payments",
)

_GUI = (
    FIRST_PAINT
    + """
import json

def report(window):
    qt_namespace = "Qt" in vars(sys.modules["PySide6.QtCore"])  # PySide6 creates the type and its enums lazily
    print(json.dumps({"window": type(window).__name__, "modules": sorted(sys.modules), "qt": qt_namespace}), flush=True)

from app.cli import main
main(["--ledger", sys.argv[1], "gui"])
"""
)


def test_the_unlock_dialog_paints_before_the_banking_stack_is_imported(tmp_path: Path) -> None:
    ledger = tmp_path / "firma.kontor"
    new_ledger(ledger, "Passphrase für den Test", company_name="Firma").close()
    env = {key: value for key, value in os.environ.items() if key != "KONTOR_PASSPHRASE"}
    env |= {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "QT_QPA_PLATFORM": "offscreen",
    }
    done = subprocess.run(
        [sys.executable, "-c", _GUI, str(ledger)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    painted = json.loads(done.stdout)
    assert painted["window"] == "UnlockDialog"
    loaded = [
        name
        for name in painted["modules"]
        for package in NOT_BEFORE_FIRST_PAINT
        if name == package or name.startswith(package + ".")
    ]
    assert loaded == []
    # Creating the `Qt` namespace's 96 enums takes 10-14 ms; importing `Qt` or a constructor whose overloads
    # mention it (QDialogButtonBox with buttons) does it.
    assert painted["qt"] is False


def test_gui_screenshot_saves_the_first_window_and_quits(tmp_path: Path) -> None:
    ledger = tmp_path / "firma.kontor"
    new_ledger(ledger, "Passphrase für den Test", company_name="Screenshot GmbH").close()
    env = os.environ | {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "KONTOR_PASSPHRASE": "Passphrase für den Test",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "QT_QPA_PLATFORM": "offscreen",
    }
    picture = tmp_path / "shots" / "first.png"
    command = [sys.executable, "-m", "app", "--ledger", str(ledger), "gui", "--screenshot", str(picture)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == ["first window painted: MainWindow", f"wrote {picture}"]
    image = QImage(str(picture))
    assert image.width() >= 800 and image.height() >= 500
    assert len({image.pixel(x, image.height() // 3) for x in range(0, image.width(), 7)}) > 3  # not a blank window
