"""Render the main window with the demo ledger to a PNG (offscreen), for the README and for layout review.

Usage: python packaging/screenshot.py OUT.png [--dialogs DIR] [--lang de|en]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SIZE = (1280, 800)
DEMO_PASSPHRASE = "demo"


def _wait(app: object, condition: object, timeout: float = 10.0) -> None:
    """Process events until `condition()` holds, so worker results are painted."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--dialogs", type=Path, help="also save the dialogs and the other pages here, for review")
    parser.add_argument("--lang", choices=["de", "en"], default="de")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="kontor-shot-") as tmp:
        os.environ["KONTOR_HOME"] = str(Path(tmp) / "home")
        os.environ["KONTOR_LANG"] = args.lang

        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        from app.services.demo.data import create_demo_ledger
        from app.services.i18n import set_language
        from app.services.ledger.database import Ledger
        from app.services.preferences import Preferences
        from app.views.application import configure_application
        from app.views.jobs import JobRunner
        from app.views.main_window import MainWindow
        from app.views.new_ledger_dialog import NewLedgerDialog
        from app.views.start_dialog import StartDialog
        from app.views.unlock_dialog import UnlockDialog, UnlockedLedger

        set_language(args.lang)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(Path(tmp) / "qsettings"))
        app = QApplication.instance() or QApplication([sys.argv[0]])
        configure_application(app, args.lang)  # type: ignore[arg-type]

        path = Path(tmp) / "brenner-feinmechanik.kontor"
        ledger = Ledger.create(path, DEMO_PASSPHRASE, company_name="Demo")
        create_demo_ledger(ledger, actor="demo")
        unlocked = UnlockedLedger(ledger, DEMO_PASSPHRASE, ledger.company_name())
        runner = JobRunner(app)
        window = MainWindow(unlocked, runner=runner, preferences=Preferences(language=args.lang))
        window.resize(*SIZE)
        window.show()
        dashboard = window.pages[next(iter(window.pages))]
        _wait(app, lambda: getattr(dashboard, "summary", None) is not None)
        _wait(app, lambda: False, timeout=0.3)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(args.out))
        print(f"wrote {args.out}")

        if args.dialogs:
            args.dialogs.mkdir(parents=True, exist_ok=True)
            start = StartDialog([path, Path(tmp) / "archiv" / "2023.kontor"])
            start.show()
            _wait(app, lambda: False, timeout=0.3)
            start.grab().save(str(args.dialogs / "start-dialog.png"))
            unlock = UnlockDialog(path, runner=runner)
            unlock.show()
            unlock.passphrase_edit.setText("wrong")
            unlock.buttons.accepted.emit()
            _wait(app, lambda: unlock.error_label.isVisible())
            _wait(app, lambda: False, timeout=0.3)
            unlock.grab().save(str(args.dialogs / "unlock-dialog.png"))
            new = NewLedgerDialog(runner=runner, directory=Path(tmp))
            new.show()
            new.company_edit.setText("Muster GmbH")
            new.passphrase.passphrase_edit.setText("Kaffee Tasse")
            new.buttons.accepted.emit()
            _wait(app, lambda: False, timeout=0.3)
            new.grab().save(str(args.dialogs / "new-ledger-dialog.png"))
            for page in list(window.pages):
                window.show_page(page)
                _wait(app, lambda: False, timeout=0.2)
                window.grab().save(str(args.dialogs / f"page-{page.name.lower()}.png"))
            print(f"wrote dialogs to {args.dialogs}")
        window.close_ledger()
        runner.cancel_and_wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
