"""The main window on a big ledger: how long until the dashboard shows its figures, its forecast card, and until
every page has loaded, against the dashboard's own queries alone in the same run (ratio = window / queries).

The window builds eight pages that each load in a job; jobs share one interpreter lock, so the page on screen
must not wait behind the others (JobRunner.later). Run: `python -m bench.window_bench [--invoices N]
[--payments N] [--repeat N]`; the ledger is 50,000 invoices and 100,000 bookings, matched once.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from app.services.ledger.database import Ledger  # noqa: E402
from app.services.preferences import Preferences  # noqa: E402
from app.services.reconciliation.automatic import match_payments  # noqa: E402
from app.services.reports.dashboard import dashboard_outlook, dashboard_summary  # noqa: E402
from app.views.dashboard_page import DashboardPage  # noqa: E402
from app.views.jobs import JobRunner  # noqa: E402
from app.views.main_window import MainWindow  # noqa: E402
from app.views.pages import Page  # noqa: E402
from app.views.unlock_dialog import UnlockedLedger  # noqa: E402
from bench.matching_data import generate  # noqa: E402
from bench.reconciliation_bench import PASSPHRASE, fill_ledger  # noqa: E402


def _until(app: QApplication, done: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError("the window did not finish loading")
        app.processEvents()
        time.sleep(0.001)


def _window(app: QApplication, path: Path) -> tuple[float, float, float]:
    """Seconds from opening the ledger to the dashboard's figures, to its forecast card, to every page loaded."""
    start = time.perf_counter()
    ledger = Ledger.open(path, PASSPHRASE)
    runner = JobRunner()
    window = MainWindow(UnlockedLedger(ledger, PASSPHRASE, "Bench"), runner=runner, preferences=Preferences())
    window.show()
    dashboard = window.pages[Page.DASHBOARD]
    assert isinstance(dashboard, DashboardPage)
    _until(app, lambda: dashboard.summary is not None)
    shown = time.perf_counter() - start
    _until(app, lambda: dashboard.outlook is not None)
    forecast = time.perf_counter() - start
    _until(app, lambda: runner.active_jobs == 0)
    loaded = time.perf_counter() - start
    window.close()
    return shown, forecast, loaded


def _query(path: Path) -> float:
    """The dashboard's two queries (figures and forecast) alone, one after the other, on a newly opened ledger."""
    start = time.perf_counter()
    with Ledger.open(path, PASSPHRASE) as ledger:
        dashboard_summary(ledger)
        dashboard_outlook(ledger)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement, the fastest counts")
    args = parser.parse_args()
    app = QApplication([])
    books = generate(invoices=args.invoices, payments=args.payments, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.kontor"
        ledger = Ledger.create(path, PASSPHRASE, company_name="Bench")
        fill_ledger(ledger, books)
        summary = match_payments(ledger, actor="bench")
        ledger.close()
        queries, shown, forecast, loaded = [], [], [], []
        for _run in range(args.repeat):  # alternately, so that load from other work falls on both alike
            queries.append(_query(path))
            figures, outlook, everything = _window(app, path)
            shown.append(figures)
            forecast.append(outlook)
            loaded.append(everything)
    query = min(queries)
    load = os.getloadavg()[0]
    print(f"{args.invoices:,} invoices, {args.payments:,} bookings ({summary.text()}); fastest of {args.repeat}")
    print(f"load average {load:.1f}, {os.cpu_count()} cores")
    print(f"dashboard queries alone (anchor)     {query:6.2f} s  1.00")
    print(f"window: dashboard figures shown      {min(shown):6.2f} s  {min(shown) / query:4.2f}")
    print(f"window: forecast card shown          {min(forecast):6.2f} s  {min(forecast) / query:4.2f}")
    print(f"window: every page loaded            {min(loaded):6.2f} s  {min(loaded) / query:4.2f}")


if __name__ == "__main__":
    main()
