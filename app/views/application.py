"""Starts the GUI and walks the user from "which ledger?" through unlocking to the main window and back on lock."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLibraryInfo, QLocale, QObject, QTranslator, Signal
from PySide6.QtWidgets import QApplication, QDialog, QStyleFactory, QWidget

from app import __version__
from app.services.gc_pause import long_running
from app.services.i18n import _, set_language
from app.services.paths import data_dir
from app.services.preferences import Preferences, load_preferences, save_preferences
from app.views.errors import ensure_logging, install_excepthook, present_error
from app.views.first_paint import after_first_paint
from app.views.jobs import JobRunner, Progress
from app.views.resources import icon, stylesheet
from app.views.ui_state import APPLICATION, ORGANIZATION
from app.views.unlock_dialog import UnlockDialog, UnlockedLedger, open_ledger

if TYPE_CHECKING:
    from app.demobank import DemoBankServer
    from app.views.main_window import MainWindow
    from app.views.new_ledger_dialog import NewLedgerDialog
    from app.views.server_dialog import ServerDialog
    from app.views.start_dialog import StartDialog

# Show first, load after: this module and the dialogs it opens first import no SQLAlchemy, SQLCipher or keyring,
# so the first window paints right after the QApplication exists; the ledger's stack loads on a worker behind it.

log = logging.getLogger(__name__)


class Controller(QObject):
    """Which window is up: the start dialog, an unlock dialog or the main window. Emits `finished` to quit."""

    finished = Signal()

    def __init__(self, *, preferences: Preferences, runner: JobRunner, demo: DemoBankServer | None = None) -> None:
        super().__init__()
        self.preferences = preferences
        self.runner = runner
        self.demo = demo  # the in-process demo bank of `kontor demo-run`, for the demo phone and the wizard
        self.window: MainWindow | None = None
        self.start_dialog: StartDialog | None = None
        self.unlock_dialog: UnlockDialog | None = None
        self.new_dialog: NewLedgerDialog | None = None
        self.server_dialog: ServerDialog | None = None
        self.pending_imports: list[Path] = []  # statement files opened with Kontor, imported once a ledger is open

    # -- entry points ------------------------------------------------------------------------------
    def start(self, ledger: Path | str | None) -> None:
        """A given ledger (a server's URL: the connect dialog), else the last one if it still exists, else the start
        dialog."""
        if isinstance(ledger, str):
            self._show_server_dialog(parent=None, url=ledger)
            return
        last = Path(self.preferences.last_ledger) if self.preferences.last_ledger else None
        path = ledger or (last if last is not None and last.is_file() else None)
        if path is None:
            self.show_start()
        else:
            self.unlock(path, automatic=True)

    def show_start(self) -> None:
        from app.views.start_dialog import StartDialog  # its list and file dialog types cost 10 ms to load

        self.start_dialog = StartDialog(self.preferences.recent_paths())
        self.start_dialog.open_requested.connect(self._on_start_dialog_open_requested)
        self.start_dialog.new_requested.connect(self._on_start_dialog_new_requested)
        self.start_dialog.server_requested.connect(self._on_start_dialog_server_requested)
        self.start_dialog.rejected.connect(self._on_start_dialog_rejected)
        self.start_dialog.show()

    def unlock(self, path: Path, *, automatic: bool = False, parent: QWidget | None = None) -> None:
        """With `automatic`, try KONTOR_PASSPHRASE or the keyring first; the dialog itself never retries.

        A passphrase from the keyring is looked up behind the unlock dialog, which is on screen at once and says
        that the ledger is being opened: the first paint does not wait for the keyring, the KDF or the database.
        """
        if not automatic:
            self._show_unlock_dialog(path, parent=parent)
            return
        from_env = os.environ.get("KONTOR_PASSPHRASE")
        if not from_env:
            self._show_unlock_dialog(path, parent=parent, opening=True)
        waiting = self.unlock_dialog if not from_env else None

        def unlock_quietly(cancel: threading.Event, progress: Progress) -> UnlockedLedger | None:
            from app.services.ledger import secrets

            passphrase = from_env or secrets.remembered_passphrase(path)
            return open_ledger(path, passphrase) if passphrase else None

        def ask(notice: str = "") -> None:
            if waiting is not None and waiting is self.unlock_dialog:
                waiting.ask(notice)
            else:
                self._show_unlock_dialog(path, parent=parent, notice=notice)

        def on_failure(error: BaseException) -> None:
            from app.services.ledger.database import WrongPassphraseError

            if isinstance(error, WrongPassphraseError):
                notice = _("The saved passphrase did not open this ledger; please enter it.")
            else:
                log.warning("automatic unlock of %s failed: %s", path, error)
                notice = str(error)
            ask(notice)

        def on_success(unlocked: UnlockedLedger | None) -> None:
            if unlocked is None:
                ask()
                return
            self._show_window(unlocked)
            if waiting is not None:
                waiting.done(QDialog.DialogCode.Accepted)  # neither unlocked nor rejected: the window is up
                if waiting is self.unlock_dialog:
                    self.unlock_dialog = None

        def start() -> None:
            self.runner.run(unlock_quietly, on_success=on_success, on_failure=on_failure)

        if waiting is not None:
            after_first_paint(waiting, start)
        else:
            start()

    # -- dialogs -----------------------------------------------------------------------------------
    def _show_unlock_dialog(
        self, path: Path, *, parent: QWidget | None, notice: str = "", opening: bool = False
    ) -> None:
        self.unlock_dialog = UnlockDialog(path, runner=self.runner, parent=parent, notice=notice, opening=opening)
        self.unlock_dialog.unlocked.connect(self._show_window)
        self.unlock_dialog.rejected.connect(self._on_unlock_dialog_rejected)
        self.unlock_dialog.open()

    def _show_new_dialog(self, parent: QWidget | None) -> None:
        from app.views.new_ledger_dialog import NewLedgerDialog

        self.new_dialog = NewLedgerDialog(runner=self.runner, directory=data_dir(), parent=parent)
        self.new_dialog.created.connect(self._show_window)
        self.new_dialog.open()

    def _on_start_dialog_open_requested(self, path: Path) -> None:
        self.unlock(path, parent=self.start_dialog)

    def _on_start_dialog_new_requested(self) -> None:
        self._show_new_dialog(self.start_dialog)

    def _on_start_dialog_server_requested(self) -> None:
        self._show_server_dialog(parent=self.start_dialog)

    def _show_server_dialog(self, *, parent: QWidget | None, url: str = "") -> None:
        from app.views.server_dialog import ServerDialog

        self.server_dialog = ServerDialog(runner=self.runner, url=url, parent=parent)
        self.server_dialog.unlocked.connect(self._show_window)
        self.server_dialog.rejected.connect(self._on_unlock_dialog_rejected)
        self.server_dialog.open()

    def _on_start_dialog_rejected(self) -> None:
        if self.window is None:
            self.finished.emit()

    def _on_unlock_dialog_rejected(self) -> None:
        """Cancel without a window and without the start dialog leads back to the start dialog."""
        start_visible = self.start_dialog is not None and self.start_dialog.isVisible()
        if self.window is None and not start_visible:
            self.show_start()

    # -- the main window ---------------------------------------------------------------------------
    def _show_window(self, unlocked: UnlockedLedger) -> None:
        """Show the new window first, then close what came before, so the app never has zero windows."""
        # Imported here: the main window brings the banking stack (fints, the demo bank), which the first
        # window (start or unlock dialog) does not need, so it paints that much sooner.
        from app.views.main_window import MainWindow

        if not unlocked.server_url:  # the recent list holds files
            self.preferences.remember_ledger(unlocked.path)
            save_preferences(self.preferences)
        previous = self.window
        if previous is not None:
            previous.close_quietly()
            previous.deleteLater()
        window = MainWindow(unlocked, runner=self.runner, preferences=self.preferences, demo=self.demo)
        window.locked.connect(self._on_window_locked)
        window.closed.connect(self.finished)
        window.new_ledger_requested.connect(lambda: self._show_new_dialog(window))
        window.open_ledger_requested.connect(lambda path: self.unlock(path, parent=window))
        window.server_requested.connect(lambda: self._show_server_dialog(parent=window))
        self.window = window
        window.show()
        if self.pending_imports:
            window.importer.import_files(self.pending_imports)
            self.pending_imports = []
        if self.start_dialog is not None:
            self.start_dialog.accept()
            self.start_dialog = None

    def _on_window_locked(self, path: Path | str) -> None:
        """`path` is the ledger file, or the URL of a server ledger (then its password, if any, is asked again)."""
        if self.window is not None:
            self.window.deleteLater()
            self.window = None
        if isinstance(path, str):
            self._show_server_dialog(parent=None, url=path)
        else:
            self._show_unlock_dialog(path, parent=None)

    def shutdown(self) -> None:
        """Quit with no window left open; the main window's closeEvent has closed its ledger already."""
        if self.window is not None:
            self.window.close_quietly()
        self.runner.cancel_and_wait()


def install_qt_translations(app: QApplication, language: str) -> QTranslator | None:
    """Qt's own strings (standard buttons, file dialogs) in German; English needs nothing."""
    if language != "de":
        return None
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(QLocale(QLocale.Language.German, QLocale.Country.Germany), "qtbase", "_", folder):
        app.installTranslator(translator)
        return translator
    log.warning("qtbase_de.qm not found in %s", folder)
    return None


def configure_application(app: QApplication, language: str) -> None:
    """Everything a QApplication needs before the first window: names, style, icon, translations."""
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Kontor")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(icon("kontor"))
    style = QStyleFactory.create("Fusion")
    if style is not None:
        app.setStyle(style)
    app.setStyleSheet(stylesheet())
    install_qt_translations(app, language)


def run_gui(
    ledger: Path | str | None,
    *,
    demo: DemoBankServer | None = None,
    screenshot: Path | None = None,
    import_files: Sequence[Path] = (),
) -> int:
    """The GUI entry point of `kontor gui` and `kontor demo-run` (with its demo bank); returns the exit status.

    `import_files` are statements to import once a ledger is open (a double click on one in a file manager).
    With `screenshot`, the first window is saved there and the program ends (first_window_shot).
    """
    long_running()
    ensure_logging()
    preferences = load_preferences()
    language = preferences.ui_language()
    set_language(language)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    configure_application(app, language)
    app.setQuitOnLastWindowClosed(False)  # the controller decides, because dialogs come and go between windows
    previous_hook = install_excepthook()
    runner = JobRunner(app)
    controller = Controller(preferences=preferences, runner=runner, demo=demo)
    controller.pending_imports = list(import_files)
    controller.finished.connect(app.quit)
    if screenshot is not None:
        from app.views.first_window_shot import FirstWindowShot

        FirstWindowShot(app, screenshot)
    try:
        controller.start(ledger)
        return app.exec()
    except Exception as error:
        present_error(error)
        return 1
    finally:
        controller.shutdown()
        sys.excepthook = previous_hook
