"""`make screenshot`: every page and dialog of the demo, in German and in English, as PNGs (offscreen).

Usage: python packaging/screenshots.py [OUT_DIR] [--lang de en] [--only NAME…] [--stretch 1.4]
A scene that cannot be opened is reported and the others still get their picture; the exit status says so.
--stretch lengthens every translated text by that factor (a pseudo-locale) to show where a longer translation
would be cut off; those pictures are for review, not for docs/.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def shoot(out: Path, language: str, only: list[str], stretch: float = 1.0) -> list[str]:
    """Pictures of one language into out/<language>/; returns the scenes that failed, with why."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.services.i18n import PseudoTranslation, catalogue, install_translation, set_language
    from app.views.application import configure_application
    from app.views.screen_tour import ScreenTour

    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="kontor-screens-") as tmp:
        os.environ["KONTOR_HOME"] = str(Path(tmp) / "home")
        os.environ["KONTOR_LANG"] = language
        set_language(language)
        if stretch > 1:

            def longer(literal: str) -> str:
                return literal + "~" * math.ceil(len(literal.strip()) * (stretch - 1))

            install_translation(PseudoTranslation(catalogue(language), longer), language)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(Path(tmp) / "qsettings"))
        app = QApplication.instance() or QApplication([sys.argv[0]])
        assert isinstance(app, QApplication)
        configure_application(app, language)
        folder = out / language
        folder.mkdir(parents=True, exist_ok=True)
        tour = ScreenTour(app, Path(tmp) / "ledgers")
        try:
            for scene, shown in tour.visit(only=only or None):
                if isinstance(shown, BaseException):
                    failed.append(f"{language}/{scene.name}: {type(shown).__name__}: {shown}")
                    print(f"could not open {scene.name}: {shown}", file=sys.stderr)
                    continue
                target = folder / f"{scene.name}.png"
                if not shown.grab().save(str(target)):
                    failed.append(f"{language}/{scene.name}: could not write {target}")
                    continue
                print(f"wrote {target}")
        finally:
            tour.close()
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, nargs="?", default=Path("docs/screens"))
    parser.add_argument("--lang", nargs="+", choices=["de", "en"], default=["de", "en"])
    parser.add_argument("--only", nargs="+", default=[], help="scene names, e.g. page-payments dialog-transfer")
    parser.add_argument("--stretch", type=float, default=1.0, help="lengthen translated texts, e.g. 1.4")
    args = parser.parse_args(argv)
    if len(args.lang) > 1:  # one process per language: Qt's own translations stay installed in an application
        options = ["--only", *args.only] if args.only else []
        runs = [
            subprocess.run([sys.executable, __file__, str(args.out), "--lang", language, "--stretch", str(args.stretch),
                            *options], check=False)
            for language in args.lang
        ]  # fmt: skip
        return max(run.returncode for run in runs)
    failed = shoot(args.out, args.lang[0], args.only, args.stretch)
    for line in failed:
        print(f"FAILED {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
