"""Screenshots of the Transactions and Accounts pages on a demo ledger, to look at them as a user would.

Run: `PYTHONPATH=. .venv/bin/python packaging/screenshot_views.py [--lang de]`; PNGs go to /tmp."""

# ruff: noqa: TID251  (a GUI tool: it drives the Qt views directly)
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.services import i18n  # noqa: E402
from app.services.demo.data import create_demo_ledger  # noqa: E402
from app.services.ledger.database import Ledger  # noqa: E402


def _settle(app: QApplication, ms: int = 600) -> None:
    """Let workers deliver and the widgets paint."""
    QTimer.singleShot(ms, app.quit)
    app.exec()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lang", default="en", choices=i18n.SUPPORTED)
    args = parser.parse_args()
    i18n.set_language(args.lang)
    app = QApplication([])
    from app.views.accounts_page import AccountsPage
    from app.views.transactions_page import TransactionsPage

    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger.create(Path(folder) / "demo.kontor", "screenshot", company_name="Demo")
        create_demo_ledger(ledger, actor="screenshot")
        transactions = TransactionsPage(ledger)
        transactions.resize(1280, 800)
        transactions.show()
        _settle(app)
        transactions.table.selectRow(3)
        _settle(app, 200)
        transactions.grab().save(f"/tmp/kontor-transactions-{args.lang}.png")
        accounts = AccountsPage(ledger)
        accounts.resize(1280, 800)
        accounts.show()
        _settle(app, 1500)
        assert accounts.chart is not None
        points = accounts.chart._xs
        accounts.chart.show_readout_at(points[len(points) * 2 // 3])
        _settle(app, 200)
        accounts.grab().save(f"/tmp/kontor-accounts-{args.lang}.png")
        empty = Ledger.create(Path(folder) / "empty.kontor", "screenshot", company_name="Leer")
        blank = TransactionsPage(empty)
        blank.resize(1280, 800)
        blank.show()
        _settle(app)
        blank.grab().save(f"/tmp/kontor-transactions-empty-{args.lang}.png")
        for page in (transactions, accounts, blank):
            page.close()
        ledger.close()
        empty.close()
    print(f"wrote /tmp/kontor-transactions-{args.lang}.png, /tmp/kontor-accounts-{args.lang}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
