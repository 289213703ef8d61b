"""Smoke test of the frozen program: the whole daily loop through `dist/Kontor/kontor`, as a user would run it.

Runs from a fresh temporary folder outside the repository with a bare environment (no virtual environment on
PATH, no PYTHONPATH), so a module, Qt plugin or data file missing from the bundle fails here and not on a user's
desktop: init a ledger, import a statement and invoices, match, add users, create, approve and export a payment
run (pain.001, checked for its namespace), install the desktop entry, create the demo ledger and save a picture
of the GUI's first window.
Standard library only: it must run without the packages the bundle contains.

Usage: python3 packaging/smoke_bundle.py [dist/Kontor/kontor] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSPHRASE = "Smoke Test Passphrase 2026"
OWN = "DE89370400440532013000"
# Three bookings as a bank delivers them; two pay the invoices below.
STATEMENT = f""":20:STARTUMS
:25:{OWN}
:28C:1/1
:60F:C260302EUR1000,00
:61:2603020302C1190,00NMSCNONREF
:86:166?00GUTSCHRIFT?20SVWZ+RE-2026-0001 Danke?31DE02120300000000202051?32Mueller Feinmechanik GmbH
:61:2603030303D250,00NMSCNONREF
:86:166?00GUTSCHRIFT?20SVWZ+Abschlag Maerz?31DE12500105170648489890?32Stadtwerke Nuernberg
:61:2603040304C595,00NMSCNONREF
:86:166?00GUTSCHRIFT?20SVWZ+Rechnung RE-2026-0002?31DE44500105175407324931?32Baeckerei Weber
:62F:C260304EUR2535,00
-
"""
INVOICES = """Rechnungsnummer;Kunde;Kundennummer;IBAN;Rechnungsdatum;Fällig am;Betrag brutto
RE-2026-0001;Müller Feinmechanik GmbH;K10001;DE02120300000000202051;01.02.2026;15.02.2026;1.190,00
RE-2026-0002;Bäckerei Weber;K10002;DE44500105175407324931;05.02.2026;19.02.2026;595,00
RE-2026-0003;Müller Feinmechanik GmbH;K10001;DE02120300000000202051;10.02.2026;24.02.2026;238,00
"""
MISSING = ("No module named", "ModuleNotFoundError", "Could not load the Qt platform plugin", "FileNotFoundError")


class SmokeFailure(Exception):
    pass


class Bundle:
    """Runs the frozen `kontor` in its own folder and environment, and checks every run."""

    def __init__(self, binary: Path, folder: Path) -> None:
        self.binary = binary
        self.folder = folder
        home = folder / "home"
        self.env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(home),
            "KONTOR_HOME": str(home / "kontor"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "LANG": "C.UTF-8",
            "KONTOR_LANG": "en",
            "QT_QPA_PLATFORM": "offscreen",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "KONTOR_PASSPHRASE": PASSPHRASE,
        }

    def __call__(self, *args: str, **extra: str) -> str:
        start = time.perf_counter()
        done = subprocess.run(
            [str(self.binary), *args],
            cwd=self.folder,
            env=self.env | extra,
            capture_output=True,
            text=True,
            timeout=300,
        )
        seconds = time.perf_counter() - start
        print(f"  {seconds:5.2f} s  kontor {' '.join(args)}")
        problems = [word for word in MISSING if word in done.stderr]
        if done.returncode != 0 or problems:
            raise SmokeFailure(f"kontor {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done.stdout


def smoke(binary: Path, folder: Path) -> None:
    kontor = Bundle(binary, folder)
    ledger = ["--ledger", str(folder / "firma.kontor")]
    version = kontor("--version")
    if "ledger schema" not in version or "SQLCipher 4" not in version:
        raise SmokeFailure(f"--version says:\n{version}")
    kontor(*ledger, "init", "--company", "Smoke Test GmbH")
    (folder / "konto.sta").write_text(STATEMENT, encoding="utf-8")
    (folder / "rechnungen.csv").write_text(INVOICES, encoding="utf-8")
    kontor(*ledger, "import", "statement", "konto.sta")
    kontor(*ledger, "import", "invoices", "rechnungen.csv")  # matches the payments already imported
    matched = json.loads(kontor(*ledger, "--json", "match"))
    if (matched.get("payments"), matched.get("open")) != (1, 1):  # only the utility bill is left
        raise SmokeFailure(f"match found other open payments than the utility bill: {matched}")
    kontor(*ledger, "export", "allocations", "--out", "allocations.csv")
    allocations = (folder / "allocations.csv").read_text(encoding="utf-8-sig")
    if "RE-2026-0001" not in allocations or "RE-2026-0002" not in allocations:
        raise SmokeFailure(f"the two paid invoices are not allocated:\n{allocations}")

    kontor(*ledger, "user", "add", "dora", KONTOR_USER_PASSWORD="dora-geheim")  # the first user: the admin
    for name, role in (("anna", "bookkeeper"), ("bob", "approver")):
        kontor(*ledger, "user", "add", name, "--role", role, "--user", "dora",
               KONTOR_USER_PASSWORD="dora-geheim", KONTOR_NEW_USER_PASSWORD=f"{name}-geheim")  # fmt: skip
    day = date.today() + timedelta(days=7)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    anna = {"KONTOR_USER": "anna", "KONTOR_USER_PASSWORD": "anna-geheim"}
    kontor(*ledger, "pay", "transfer", "--to", "Stadtwerke Nürnberg", "--iban", "DE12500105170648489890",
           "--amount", "250,00", "--text", "Abschlag April", "--date", day.isoformat(), **anna)  # fmt: skip
    kontor(*ledger, "run", "submit", "1", **anna)
    kontor(*ledger, "run", "approve", "1", KONTOR_USER="bob", KONTOR_USER_PASSWORD="bob-geheim")
    kontor(*ledger, "run", "export", "1", "--out", "transfer.xml", **anna)
    pain = (folder / "transfer.xml").read_text(encoding="utf-8")
    if "urn:iso:std:iso:20022:tech:xsd:pain.001" not in pain or "Stadtwerke" not in pain:
        raise SmokeFailure("the exported pain.001 does not look like one")

    # the libraries loaded only for some commands: PDF letters, e-invoices in a PDF, the forecast, DATEV
    zugferd = ROOT / "tests" / "data" / "einvoices" / "zugferd-pdf_zf_extended_1.pdf"
    if zugferd.is_file():  # in a checkout: an e-invoice PDF whose embedded XML needs factur-x and its data
        shutil.copy(zugferd, folder / "rechnung.pdf")
        kontor(*ledger, "import", "invoices", "rechnung.pdf")
    kontor(*ledger, "forecast", "--weeks", "2")
    kontor(*ledger, "export", "datev-settings", "--consultant", "29098", "--client", "55003")
    kontor(*ledger, "export", "datev", "--from", "2026-03-01", "--to", "2026-03-31", "--out", "datev.csv")
    if not (folder / "datev.csv").read_bytes().startswith(b'"EXTF";700;21;"Buchungsstapel"'):
        raise SmokeFailure("the DATEV file does not start with its EXTF header")

    kontor("--install-desktop-entry")
    share = Path(kontor.env["XDG_DATA_HOME"])
    entry = (share / "applications" / "de.kontor.Kontor.desktop").read_text(encoding="utf-8")
    if f"Exec={kontor.binary} gui %F" not in entry:
        raise SmokeFailure(f"the menu entry does not start this bundle:\n{entry}")
    if not (share / "icons" / "hicolor" / "256x256" / "apps" / "de.kontor.Kontor.png").is_file():
        raise SmokeFailure("the bundle's rendered icons were not installed")

    demo = ["--ledger", str(folder / "demo.kontor")]
    kontor(*demo, "demo", KONTOR_PASSPHRASE="demo")
    kontor(*demo, "dunning", "run", "--out", "letters", KONTOR_PASSPHRASE="demo")
    if not any(path.read_bytes().startswith(b"%PDF") for path in (folder / "letters").glob("*.pdf")):
        raise SmokeFailure("no dunning letter was written")
    shown = kontor(*demo, "gui", "--screenshot", "gui.png", KONTOR_PASSPHRASE="demo")
    picture = folder / "gui.png"
    if "first window painted: MainWindow" not in shown or picture.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
        raise SmokeFailure(f"no picture of the main window:\n{shown}")
    if picture.stat().st_size < 20_000:
        raise SmokeFailure(f"the picture of the main window is suspiciously small ({picture.stat().st_size} bytes)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", type=Path, nargs="?", default=ROOT / "dist" / "Kontor" / "kontor")
    parser.add_argument("--keep", type=Path, help="copy the run's files (ledgers, pain file, picture) here")
    args = parser.parse_args(argv)
    binary = args.binary.resolve()
    if not binary.is_file():
        print(f"no bundle at {binary}: run `make bundle` first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kontor-smoke-") as tmp:
        folder = Path(tmp)
        print(f"smoke test of {binary} in {folder}")
        try:
            smoke(binary, folder)
        except SmokeFailure as failure:
            print(f"FAILED: {failure}", file=sys.stderr)
            return 1
        finally:
            if args.keep:
                shutil.copytree(folder, args.keep, dirs_exist_ok=True, ignore=shutil.ignore_patterns("home"))
    print("bundle smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
