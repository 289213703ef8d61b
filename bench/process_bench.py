"""What the user waits for, as whole processes: `kontor import statement` and the GUI's first painted window.

Each figure is a ratio to an anchor measured in the same run, interleaved with it:
- the import command (MT940 and camt.053) against a process that only runs the `mt940` package's parse of the
  same bookings; ratio = anchor seconds / Kontor seconds (>= 1.5 is the target at 100k);
- `kontor gui` up to its first painted window (the unlock dialog) against a bare PySide6 QMainWindow process;
  ratio = Kontor seconds / anchor seconds (<= 1.5 is the target).
Peak memory is the process's own maximum resident set, its statement worker process included (wait4's rusage).

Run: `python -m bench.process_bench [--entries 10000 100000] [--rounds 2] [--gui-rounds 5] [--only import|gui]`.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.statement_data import write_camt053, write_mt940

PASSPHRASE = "bench"
BUNDLE = Path(__file__).resolve().parents[1] / "dist" / "Kontor" / "kontor"  # made by `make bundle`
_ANCHOR_PARSE = "import sys, mt940; mt940.parse(open(sys.argv[1], encoding='latin-1').read())"

# Calls `report(window)` (defined by the script that follows) after the first Paint event of a top-level window
# has been handled, then ends the process at once. QApplication is patched when the program itself first imports
# PySide6.QtWidgets, not before: importing Qt first would make every later import pay PySide's import hook, which
# `kontor gui` avoids for the modules it loads before Qt (the command line, preferences, logging).
FIRST_PAINT = """
import importlib.abc, importlib.util, os, sys

def _patch(widgets):
    from PySide6.QtCore import QEvent, QObject, QTimer

    class _FirstPaint(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint and watched.isWidgetType() and watched.isWindow():
                QTimer.singleShot(0, lambda: (report(watched), os._exit(0)))
            return False

    class _Application(widgets.QApplication):
        def __init__(self, *args):
            super().__init__(*args)
            self._first_paint = _FirstPaint()
            self.installEventFilter(self._first_paint)

    widgets.QApplication = _Application

class _WhenQtWidgetsLoads(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "PySide6.QtWidgets":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        execute = spec.loader.exec_module
        def exec_module(module):
            execute(module)
            _patch(module)
        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, _WhenQtWidgetsLoads())

def report(window):
    print(type(window).__name__, flush=True)
"""
_BARE_WINDOW = (
    FIRST_PAINT
    + """
from PySide6 import QtWidgets

app = QtWidgets.QApplication(sys.argv[:1])
window = QtWidgets.QMainWindow()
window.setWindowTitle("bare")
window.show()
app.exec()
"""
)
_KONTOR_GUI = (
    FIRST_PAINT
    + """
from app.cli import main
main(["--ledger", sys.argv[1], "gui"])
"""
)


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    peak_kib: int


def run_process(command: Sequence[str], *, env: dict[str, str], until_line: bool = False) -> Run:
    """Wall time from start to exit (or to the first line it prints) and the peak RSS of it and its children."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    if until_line:
        line = child.stdout.readline()
        seconds = time.perf_counter() - start
        if not line:
            raise SystemExit(f"{command[:3]}... painted nothing: {child.stderr.read() if child.stderr else ''}")
    output = child.stdout.read()
    errors = child.stderr.read() if child.stderr else ""
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if not until_line:
        seconds = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command[:6])} failed ({child.returncode}): {output}{errors}")
    return Run(seconds, usage.ru_maxrss)


def private_environment(home: Path) -> dict[str, str]:
    """A private home (no preferences, log or keyring of the user's) and the passphrase from the environment."""
    env = dict(os.environ)
    env |= {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "QT_QPA_PLATFORM": env.get("QT_QPA_PLATFORM", "offscreen"),
    }
    return env


def kontor_command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "app", *map(str, args)]


def _best(runs: list[Run]) -> Run:
    return min(runs, key=lambda run: run.seconds)


def bench_import(folder: Path, counts: Sequence[int], rounds: int) -> None:
    env = private_environment(folder / "home")
    template = folder / "template.kontor"
    run_process(
        kontor_command("--ledger", template, "init", "--company", "Bench"), env=env | {"KONTOR_PASSPHRASE": PASSPHRASE}
    )
    env_import = env | {"KONTOR_PASSPHRASE": PASSPHRASE}
    print(f"{'entries':>9} {'what':36} {'seconds':>8} {'ratio':>6} {'peak RSS':>10} {'per entry':>10}")
    for count in counts:
        files = {
            "MT940": write_mt940(folder / f"bench-{count}.sta", count),
            "camt.053": write_camt053(folder / f"bench-{count}.xml", count),
        }
        runs: dict[str, list[Run]] = {"anchor": [], "MT940": [], "camt.053": []}
        for round_ in range(rounds):  # interleaved: a slow moment of the machine hits every kind alike
            runs["anchor"].append(run_process([sys.executable, "-c", _ANCHOR_PARSE, str(files["MT940"])], env=env))
            for kind, file in files.items():
                ledger = folder / f"run-{count}-{kind}-{round_}.kontor"
                shutil.copy(template, ledger)
                runs[kind].append(
                    run_process(kontor_command("--ledger", ledger, "import", "statement", file), env=env_import)
                )
                ledger.unlink()
        anchor = _best(runs["anchor"])
        for kind, label in (
            ("anchor", "mt940.parse, whole process (anchor)"),
            ("MT940", "kontor import statement MT940"),
            ("camt.053", "kontor import statement camt.053"),
        ):
            best = _best(runs[kind])
            print(
                f"{count:9,} {label:36} {best.seconds:8.2f} {anchor.seconds / best.seconds:6.2f}"
                f" {best.peak_kib / 1024:6.0f} MiB {best.peak_kib / count:6.2f} KiB",
                flush=True,
            )
    print("targets: import >= 1.5x the anchor at 100k and >= 1.0x at 10k; peak <= 3 KiB per entry")


def bench_gui(folder: Path, rounds: int, bundle: Path | None = None) -> None:
    env = private_environment(folder / "home")
    ledger = folder / "gui.kontor"
    if not ledger.exists():
        run_process(
            kontor_command("--ledger", ledger, "init", "--company", "Bench"),
            env=env | {"KONTOR_PASSPHRASE": PASSPHRASE},
        )
    runs: dict[str, list[Run]] = {"bare": [], "kontor": []}
    for _round in range(rounds):
        runs["bare"].append(run_process([sys.executable, "-c", _BARE_WINDOW], env=env, until_line=True))
        runs["kontor"].append(run_process([sys.executable, "-c", _KONTOR_GUI, str(ledger)], env=env, until_line=True))
    bare, kontor = _best(runs["bare"]), _best(runs["kontor"])
    print(f"{'what':52} {'seconds':>8} {'ratio':>6}")
    print(f"{'bare PySide6 QMainWindow, start to first paint (anchor)':52} {bare.seconds:8.3f} {1:6.2f}")
    label = "kontor gui, start to first painted unlock dialog"
    print(f"{label:52} {kontor.seconds:8.3f} {kontor.seconds / bare.seconds:6.2f}")
    print("target: <= 1.5x the anchor")
    if bundle is not None:
        bench_bundle(folder, bundle, rounds)


def bench_bundle(folder: Path, bundle: Path, rounds: int) -> None:
    """The frozen bundle against the virtual environment, both timed the same way: `kontor gui --screenshot`
    prints a line at the first paint of its first window (the unlock dialog here). The first round of each is
    the coldest this machine allows without dropping its file cache; the fastest is the warm figure."""
    env = private_environment(folder / "home")
    ledger = folder / "gui.kontor"
    runs: dict[str, list[Run]] = {"bare": [], "venv": [], "bundle": []}
    for round_ in range(rounds):
        shot = folder / f"shot-{round_}.png"
        runs["bare"].append(run_process([sys.executable, "-c", _BARE_WINDOW], env=env, until_line=True))
        for kind, command in (("venv", kontor_command()), ("bundle", [str(bundle)])):
            args = ["--ledger", str(ledger), "gui", "--screenshot", str(shot)]
            runs[kind].append(run_process([*command, *args], env=env, until_line=True))
    bare = _best(runs["bare"])
    print(f"{'what':52} {'first':>8} {'fastest':>8} {'/bare':>6} {'/venv':>6}")
    for kind, label in (
        ("bare", "bare PySide6 QMainWindow (anchor)"),
        ("venv", "kontor gui from the virtual environment"),
        ("bundle", f"kontor gui from the bundle ({bundle.parent.name})"),
    ):
        best = _best(runs[kind])
        venv = _best(runs["venv"])
        print(
            f"{label:52} {runs[kind][0].seconds:8.3f} {best.seconds:8.3f} {best.seconds / bare.seconds:6.2f}"
            f" {best.seconds / venv.seconds:6.2f}"
        )
    print("target: the bundle no slower than the virtual environment (/venv <= 1.0)")


def compile_kontor() -> None:
    """Kontor's bytecode, as an installation has it (pip compiles on install, the bundle ships it): a checkout run
    with PYTHONDONTWRITEBYTECODE would otherwise compile every module at every start and time the compiler."""
    root = Path(__file__).resolve().parents[1]
    compileall.compile_dir(root / "app", quiet=1)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, nargs="+", default=[10_000, 100_000], help="import sizes")
    parser.add_argument("--rounds", type=int, default=2, help="each import figure is the fastest of this many runs")
    parser.add_argument("--gui-rounds", type=int, default=5, help="each GUI figure is the fastest of this many runs")
    parser.add_argument("--only", choices=["import", "gui"], help="run one of the two parts")
    parser.add_argument(
        "--bundle", type=Path, default=BUNDLE, help="the frozen kontor to time next to the venv (if it exists)"
    )
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores, load average {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    compile_kontor()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.only in (None, "gui"):
            bench_gui(folder, args.gui_rounds, args.bundle if args.bundle.is_file() else None)
        if args.only in (None, "import"):
            bench_import(folder, args.entries, args.rounds)


if __name__ == "__main__":
    main()
