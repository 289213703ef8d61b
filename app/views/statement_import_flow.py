"""File › Import and dropped files: choose, import in a worker, show what happened, ask for a missing account."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from app.services.i18n import _
from app.services.ledger.database import Ledger
from app.services.ledger.users import current_actor
from app.services.payments.runs import after_statement_import
from app.services.reconciliation.overview import Outcome, outcome_of_imports
from app.services.statements.balances import accounts_overview
from app.services.statements.bank_csv import CsvMapping
from app.services.statements.csv_mappings import MappingSpecError, mapping_for
from app.services.statements.importing import ImportResult, import_statement_files
from app.services.statements.search_index import catch_up
from app.views.csv_mapping_dialog import CsvMappingDialog, open_mapping_dialog
from app.views.errors import present_error
from app.views.import_results_dialog import ImportResultsDialog
from app.views.jobs import JobRunner, Progress

STATEMENT_FILTER = "*.xml *.sta *.mt940 *.940 *.942 *.swi *.txt *.csv *.zip"


def choose_statement_files(parent: QWidget) -> list[Path]:
    """The open dialog of File › Import; a separate function so tests can answer it."""
    chosen, _filter = QFileDialog.getOpenFileNames(
        parent,
        _("Import bank statements"),
        "",
        _("Bank statements ({patterns});;All files (*)").format(patterns=STATEMENT_FILTER),
    )
    return [Path(name) for name in chosen]


def local_files(urls: Sequence[QUrl]) -> list[Path]:
    """The local files among dropped URLs; folders and remote URLs are not statements."""
    return [Path(url.toLocalFile()) for url in urls if url.isLocalFile() and Path(url.toLocalFile()).is_file()]


class StatementImporter(QObject):
    """Runs imports one at a time as writing jobs and reports with a results dialog."""

    imported = Signal(object)  # list[ImportResult], after the ledger changed
    activity = Signal(str)  # status bar text; "" when done

    def __init__(self, ledger: Ledger, *, runner: JobRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self._ledger = ledger
        self._runner = runner
        self._window = parent
        self.dialog: ImportResultsDialog | None = None
        self.mapping_dialog: CsvMappingDialog | None = None

    def import_files(
        self, paths: Sequence[Path], *, account_iban: str | None = None, mapping: CsvMapping | None = None
    ) -> None:
        if not paths:
            return
        paths = list(paths)
        ledger = self._ledger
        actor = current_actor()

        def run(cancel: threading.Event, progress: Progress) -> tuple[list[ImportResult], list[str], Outcome]:
            results = import_statement_files(
                ledger,
                paths,
                actor=actor,
                account_iban=account_iban,
                mapping=mapping,
                progress=progress,
                cancel=cancel,
                after_import=after_statement_import(actor),
            )
            catch_up(ledger)  # a large file left its bookings unindexed: searched next, so indexed now
            with ledger.session() as session:
                ibans = [account.iban for account in accounts_overview(session)]
            outcome = outcome_of_imports(ledger, [result.import_id for result in results if result.import_id])
            return results, ibans, outcome

        self.activity.emit(_("Importing {n} file(s)…").format(n=len(paths)))
        self._runner.run(
            run,
            on_success=lambda outcome: self._on_import_succeeded(paths, *outcome),
            on_failure=self._on_import_failed,
            writes=True,
            progress_text=_("Importing statements…"),
            parent=self._window,
        )

    def _on_import_failed(self, error: BaseException) -> None:
        self.activity.emit("")
        present_error(error, parent=self._window)

    def _on_import_succeeded(
        self, paths: list[Path], results: list[ImportResult], ibans: list[str], outcome: Outcome
    ) -> None:
        self.activity.emit("")
        if any(result.new for result in results):
            self.imported.emit(results)
        by_name = {path.name: path for path in paths}
        if len(results) == 1 and results[0].mapping_guess and results[0].source in by_name:
            # one bank CSV of an unknown layout: nothing else to report, so straight to its columns
            self.mapping_dialog = open_mapping_dialog(by_name[results[0].source], parent=self._window)
            self.mapping_dialog.mapping_chosen.connect(self._on_dialog_mapping_chosen)
            return
        self.dialog = ImportResultsDialog(
            results, paths=paths, account_ibans=ibans, outcome=outcome, parent=self._window
        )
        self.dialog.account_chosen.connect(self._on_dialog_account_chosen)
        self.dialog.mapping_chosen.connect(self._on_dialog_mapping_chosen)
        self.dialog.open()

    def _on_dialog_account_chosen(self, paths: list[Path], iban: str) -> None:
        self.import_files(paths, account_iban=iban)

    def _on_dialog_mapping_chosen(self, path: Path, spec: str) -> None:
        """Import a CSV with the columns the user confirmed in the results dialog."""
        try:
            mapping = mapping_for(path, spec)
        except (MappingSpecError, OSError) as error:
            present_error(error, parent=self._window)
            return
        self.import_files([path], mapping=mapping)
