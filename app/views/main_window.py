"""The main window: sidebar navigation over the pages, menus, status bar, and the ledger's lifetime."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import PySide6
from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, Signal, qVersion
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from app import __version__
from app.demobank import DEMO_LOGIN, DEMO_PIN, DemoBankServer
from app.services.forecast.projection import notify_warnings
from app.services.formatting import format_amount
from app.services.i18n import _
from app.services.ledger import secrets
from app.services.ledger.actor import current_actor
from app.services.ledger.audit import Head
from app.services.ledger.database import LEDGER_SUFFIX
from app.services.ledger.server import listen_for_changes
from app.services.ledger.server_changes import ChangeListener
from app.services.ledger.users import SignedInUser, ledger_has_users
from app.services.preferences import Preferences
from app.services.reports.datev import DatevExport, datev_settings
from app.views.bank_sync_flow import BankSyncFlow
from app.views.change_passphrase_dialog import ChangePassphraseDialog
from app.views.demo_phone_dialog import DemoPhoneDialog
from app.views.jobs import JobRunner, Progress
from app.views.ledger_changes import LedgerChangeWatcher
from app.views.notification_panel import NotificationButton
from app.views.pages import PAGES, Page, PageContext, StatefulPage
from app.views.resources import icon
from app.views.settings_page import SettingsPage
from app.views.sign_in_dialog import Identity, SignInDialog
from app.views.start_dialog import choose_ledger_file
from app.views.statement_import_flow import StatementImporter, choose_statement_files, local_files
from app.views.ui_state import ui_state
from app.views.unlock_dialog import UnlockedLedger

if TYPE_CHECKING:
    from app.services.reconciliation.allocations import UndoneAllocation

log = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT_MS = 10_000
STATUS_MESSAGE_MS = 8000
# How long to wait before listening again for other workstations' changes after the 1st, 2nd, … failure in a row.
LISTEN_RETRY_MS = (1_000, 2_000, 5_000, 15_000, 30_000, 60_000)


def choose_backup_file(parent: QWidget, suggested: Path) -> Path | None:
    """The save dialog of File › Backup…; a separate function so tests can answer it."""
    chosen, _filter = QFileDialog.getSaveFileName(
        parent, _("Write backup"), str(suggested), _("Kontor ledgers (*.kontor)")
    )
    return Path(chosen) if chosen else None


class MainWindow(QMainWindow):
    """Owns the unlocked ledger until it is closed, locked or replaced; then it closes the ledger itself."""

    server_requested = Signal()  # File › Connect to server…
    locked = Signal(object)  # Path of the ledger, now closed (the URL of a server ledger)
    closed = Signal()  # the user closed the window (Quit); not emitted when locking or switching ledgers
    new_ledger_requested = Signal()
    open_ledger_requested = Signal(object)  # Path chosen in File › Open…

    def __init__(
        self,
        unlocked: UnlockedLedger,
        *,
        runner: JobRunner,
        preferences: Preferences,
        demo: DemoBankServer | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.unlocked = unlocked
        self.runner = runner
        self._ledger_open = True
        self._announce_close = True
        self.setWindowIcon(icon("kontor"))
        self.passphrase_dialog: ChangePassphraseDialog | None = None

        self.identity = Identity(self)
        self.sign_in_dialog: SignInDialog | None = None
        context = PageContext(unlocked=unlocked, runner=runner, preferences=preferences, identity=self.identity)
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setMinimumWidth(150)
        self.stack = QStackedWidget()
        self.pages: dict[Page, QWidget] = {}
        with runner.later():  # the pages' first loads wait for the page on screen (the dashboard's, when shown)
            for spec in PAGES:
                widget = spec.factory(context)
                self.pages[spec.page] = widget
                self.stack.addWidget(widget)
                self.sidebar.addItem(QListWidgetItem(icon(spec.icon), _(spec.title)))
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.stack)
        self.splitter.setCollapsible(0, False)
        self.splitter.setHandleWidth(1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([210, 1000])
        self.setCentralWidget(self.splitter)

        self.importer = StatementImporter(unlocked.ledger, runner=runner, parent=self)
        self.importer.activity.connect(self.set_activity)
        self.importer.imported.connect(self._on_importer_imported)
        self.demo = demo
        self.bank_flow = BankSyncFlow(unlocked.ledger, runner=runner, parent=self, demo=demo)
        self.bank_flow.activity.connect(self.set_activity)
        self.bank_flow.synced.connect(self._on_importer_imported)
        self.bank_flow.finished.connect(lambda text: self.statusBar().showMessage(text, 3 * STATUS_MESSAGE_MS))
        self.setAcceptDrops(True)
        self._build_menus()
        self._build_status_bar()
        self.sidebar.currentRowChanged.connect(self._on_sidebar_current_row_changed)
        for widget in self.pages.values():  # pages that change the ledger themselves (Map dialog, invoice import)
            if hasattr(widget, "ledger_changed"):
                widget.ledger_changed.connect(self.refresh_pages)
            if hasattr(widget, "reported"):
                widget.reported.connect(lambda text: self.statusBar().showMessage(text, STATUS_MESSAGE_MS))
            if hasattr(widget, "transaction_requested"):  # the Invoices page's "Show in Transactions"
                widget.transaction_requested.connect(self.show_transaction)
        first_steps = {  # the empty dashboard's buttons
            "connect_bank_requested": self.bank_flow.add_action.trigger,
            "import_statements_requested": self.import_action.trigger,
            "import_invoices_requested": self._on_import_invoices_requested,
        }
        for name, slot in first_steps.items():
            signal = getattr(self.pages[Page.DASHBOARD], name, None)
            if signal is not None:
                signal.connect(slot)
        settings_page = self.pages[Page.SETTINGS]
        if isinstance(settings_page, SettingsPage):
            settings_page.company_renamed.connect(self._on_settings_page_company_renamed)
        self.identity.changed.connect(self._on_identity_changed)
        self._show_company(unlocked.company_name)
        self._restore_ui_state()
        self.show_page(Page.DASHBOARD)
        self.audit_warning: QMessageBox | None = None
        self._check_audit_head()
        self.change_watcher: LedgerChangeWatcher | None = None
        self._listen_failures = 0  # attempts in a row that failed; the next waits LISTEN_RETRY_MS[that many]
        self._listen_retry = QTimer(self)
        self._listen_retry.setSingleShot(True)
        self._listen_retry.timeout.connect(self._watch_other_workstations)
        self._watch_other_workstations()
        self._offer_sign_in()

    # -- building ------------------------------------------------------------------------------------
    def _action(
        self,
        text: str,
        slot: Callable[..., object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        icon_name: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        if icon_name:
            action.setIcon(icon(icon_name))
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        self.file_menu = self.menuBar().addMenu(_("&File"))
        self.new_action = self._action(_("&New ledger…"), self._on_new_action_triggered, QKeySequence.StandardKey.New)
        self.open_action = self._action(
            _("&Open ledger…"), self._on_open_action_triggered, QKeySequence.StandardKey.Open
        )
        self.server_action = self._action(_("Connect to &server…"), self.server_requested.emit)
        self.import_action = self._action(_("&Import statements…"), self._on_import_action_triggered, "Ctrl+I", "list")
        self.backup_action = self._action(_("&Backup…"), self._on_backup_action_triggered)
        self.datev_action = self._action(_("Export for the tax advisor (&DATEV)…"), self._on_datev_action_triggered)
        self.passphrase_action = self._action(_("Change &passphrase…"), self._on_passphrase_action_triggered)
        self.lock_action = self._action(_("&Lock"), self.lock, "Ctrl+L", "lock")
        self.sign_in_action = self._action(_("&Sign in / switch user…"), self.ask_sign_in)
        self.sign_out_action = self._action(_("Sign &out"), self._on_sign_out_action_triggered)
        self.sign_out_action.setEnabled(False)
        self.quit_action = self._action(_("&Quit"), self.close, QKeySequence.StandardKey.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.file_menu.addActions([self.new_action, self.open_action, self.server_action])
        self.file_menu.addSeparator()
        self.file_menu.addActions([self.import_action, self.datev_action])
        self.file_menu.addSeparator()
        self.file_menu.addActions([self.backup_action, self.passphrase_action, self.lock_action])
        for action in (self.backup_action, self.passphrase_action):  # the server keeps its own backups and passwords
            action.setEnabled(not self.unlocked.server_url)
        self.file_menu.addSeparator()
        self.file_menu.addActions([self.sign_in_action, self.sign_out_action])
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)

        self.edit_menu = self.menuBar().addMenu(_("&Edit"))
        self.undo_action = self._action(
            _("&Undo last allocation"), self._on_undo_action_triggered, QKeySequence.StandardKey.Undo
        )
        self.undo_action.setToolTip(_("Takes back what you last booked in Map, on that one payment."))
        self.edit_menu.addAction(self.undo_action)

        self.bank_menu = self.menuBar().addMenu(_("&Bank"))
        self.bank_menu.addActions(self.bank_flow.actions())
        self.toolbar = self.addToolBar(_("Toolbar"))
        self.toolbar.setObjectName("mainToolBar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar.addActions([self.bank_flow.sync_action, self.import_action])

        self.view_menu = self.menuBar().addMenu(_("&View"))
        self.page_actions: dict[Page, QAction] = {}
        group = QActionGroup(self)
        for spec in PAGES:
            action = self._action(
                _(spec.title), lambda _checked=False, page=spec.page: self.show_page(page), f"Ctrl+{spec.page + 1}"
            )
            action.setIcon(icon(spec.icon))
            action.setCheckable(True)
            group.addAction(action)
            self.view_menu.addAction(action)
            self.page_actions[spec.page] = action

        self.help_menu = self.menuBar().addMenu(_("&Help"))
        self.about_action = self._action(_("&About Kontor"), self._on_about_action_triggered)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.help_menu.addAction(self.about_action)
        if self.demo is not None:
            self.demo_phone_action = self._action(_("Demo &phone…"), self._on_demo_phone_action_triggered)
            self.help_menu.addAction(self.demo_phone_action)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.activity_label = QLabel()  # progress of long jobs; later issues report imports and syncs here
        self.activity_label.setObjectName("activityLabel")
        server = self.unlocked.server_url
        self.file_label = QLabel(server.partition("?")[0].rpartition("@")[2] if server else self.unlocked.path.name)
        self.file_label.setToolTip(server or str(self.unlocked.path))
        self.company_label = QLabel()
        self.lock_label = QLabel(_("Unlocked"))
        self.lock_label.setToolTip(_("File › Lock closes the ledger until the passphrase is entered again."))
        self.user_label = QLabel(self.identity.describe())
        self.user_label.setObjectName("userLabel")
        self.user_label.setToolTip(_("File › Sign in / switch user changes who creates and approves payments."))
        for label in (self.activity_label, self.file_label, self.company_label, self.user_label, self.lock_label):
            bar.addPermanentWidget(label)
        self.notification_button = NotificationButton(self.unlocked.ledger, runner=self.runner, parent=self)
        bar.addPermanentWidget(self.notification_button)
        self.activity_label.hide()
        bar.insertPermanentWidget(1, self.bank_flow.cancel_button)
        if self.demo is not None:
            self.demo_label = QLabel(_("Demo bank: login {login}, PIN {pin}").format(login=DEMO_LOGIN, pin=DEMO_PIN))
            self.demo_label.setObjectName("demoHint")
            bar.addWidget(self.demo_label)

    # -- pages ---------------------------------------------------------------------------------------
    def show_page(self, page: Page) -> None:
        self.sidebar.setCurrentRow(page)

    def show_transaction(self, transaction_id: int) -> None:
        """Transactions with this booking selected, if the list's filter shows it; else the status bar says so."""
        self.show_page(Page.TRANSACTIONS)
        page: Any = self.pages[Page.TRANSACTIONS]  # TransactionsPage, not imported here: pages load lazily
        ids = page.model.ids()
        if transaction_id not in ids:
            self.statusBar().showMessage(
                _("The booking is not in the list as filtered now; clear the filters to see it."), STATUS_MESSAGE_MS
            )
            return
        row = ids.index(transaction_id)
        page.table.selectRow(row)
        page.table.scrollTo(page.model.index(row, 0))

    def current_page(self) -> Page:
        return Page(self.stack.currentIndex())

    def _on_sidebar_current_row_changed(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        self.page_actions[Page(row)].setChecked(True)
        self.runner.bring_forward(self.pages[Page(row)])

    def _show_company(self, name: str) -> None:
        self.unlocked.company_name = name
        self.company_label.setText(name)
        self._update_title()

    def _update_title(self) -> None:
        title = _("Kontor — {company}").format(company=self.unlocked.company_name)
        if self.identity.user is not None:
            title = _("{title} — {name}").format(title=title, name=self.identity.user.name)
        self.setWindowTitle(title)

    # -- tampering ------------------------------------------------------------------------------------
    def _check_audit_head(self) -> None:
        """Warn at once when the audit log lost the head this computer saw last: changed outside Kontor."""
        ledger = self.unlocked.ledger

        def check(cancel: threading.Event, progress: Progress) -> Head | None:
            return ledger.discontinued_audit_head()

        self.runner.run(check, on_success=self._on_audit_head_checked, parent=self)

    def _on_audit_head_checked(self, seen: Head | None) -> None:
        if seen is None:
            return
        self.audit_warning = QMessageBox(
            QMessageBox.Icon.Warning,
            _("Audit log changed outside Kontor"),
            _(
                "The audit log of {file} no longer continues where this computer last saw it (event {events}): "
                "events were removed or rewritten outside Kontor. Check the ledger with `kontor audit verify` "
                "before you pay anything from it."
            ).format(file=self.unlocked.path.name, events=seen.events),
            QMessageBox.StandardButton.Ok,
            self,
        )
        self.audit_warning.open()

    # -- other workstations ---------------------------------------------------------------------------
    def _watch_other_workstations(self) -> None:
        """On a server ledger, pages reload when another workstation commits a change (server_changes)."""
        ledger = self.unlocked.ledger

        def listen(cancel: threading.Event, progress: Progress) -> ChangeListener | None:
            return listen_for_changes(ledger)

        self.runner.run(listen, on_success=self._on_listening, on_failure=self._on_listening_failed, parent=self)

    def _on_listening(self, listener: ChangeListener | None) -> None:
        if listener is None:
            return
        if not self._ledger_open:  # locked while it connected
            listener.close()
            return
        self.change_watcher = LedgerChangeWatcher(listener, self)
        self.change_watcher.changed.connect(self._on_change_watcher_changed)
        self.change_watcher.failed.connect(self._on_listening_failed)
        if self._listen_failures:  # what other workstations changed meanwhile was not announced: reload once
            self._listen_failures = 0
            self.refresh_pages()
            self.statusBar().showMessage(_("Reconnected: other workstations' changes show again."), STATUS_MESSAGE_MS)

    def _on_change_watcher_changed(self) -> None:
        self.refresh_pages()
        self.statusBar().showMessage(_("Updated: another workstation changed the ledger."), STATUS_MESSAGE_MS)

    def _on_listening_failed(self, error: object) -> None:
        """The listening connection broke or could not be made (server restart, network): try again, waiting
        longer after each failure, until it works or the ledger is locked."""
        log.warning("not listening for other workstations' changes: %s", error)
        if self.change_watcher is not None:
            self.change_watcher.deleteLater()
            self.change_watcher = None
        if not self._ledger_open:
            return
        wait_ms = LISTEN_RETRY_MS[min(self._listen_failures, len(LISTEN_RETRY_MS) - 1)]
        self._listen_failures += 1
        self._listen_retry.start(wait_ms)
        self.statusBar().showMessage(
            _("Other workstations' changes: reconnecting in {n} s.").format(n=max(1, wait_ms // 1000)),
            wait_ms + STATUS_MESSAGE_MS,
        )

    # -- who is signed in ----------------------------------------------------------------------------
    def _offer_sign_in(self) -> None:
        """A ledger with users asks who works here; without users there is nobody to sign in as."""
        ledger = self.unlocked.ledger

        def check(cancel: threading.Event, progress: Progress) -> bool:
            return ledger_has_users(ledger)

        self.runner.run(check, on_success=lambda has: self.ask_sign_in() if has else None, parent=self)

    def ask_sign_in(self) -> None:
        self.sign_in_dialog = SignInDialog(self.unlocked.ledger, runner=self.runner, parent=self)
        self.sign_in_dialog.signed_in.connect(self.identity.set_user)
        self.sign_in_dialog.open()

    def _on_sign_out_action_triggered(self) -> None:
        self.identity.set_user(None)

    def _on_identity_changed(self, user: SignedInUser | None) -> None:
        self.user_label.setText(self.identity.describe())
        self.sign_out_action.setEnabled(user is not None)
        self._update_title()
        self.statusBar().showMessage(self.identity.describe(), STATUS_MESSAGE_MS)

    def _on_settings_page_company_renamed(self, name: str) -> None:
        self._show_company(name)

    def set_activity(self, text: str) -> None:
        self.activity_label.setText(text)
        self.activity_label.setVisible(bool(text))

    def refresh_pages(self) -> None:
        """After the ledger changed underneath (an import, a sync): every page that shows data reloads, the one
        on screen first."""
        with self.runner.later():
            for widget in self.pages.values():
                reload = getattr(widget, "refresh", None) or getattr(widget, "reload", None)
                if callable(reload):
                    reload()
        if (current := self.stack.currentWidget()) is not None:
            self.runner.bring_forward(current)
        self.notification_button.refresh()

    def _on_datev_action_triggered(self) -> None:
        from app.views.datev_dialog import DatevDialog

        self.datev_dialog = DatevDialog(
            self.unlocked.ledger, datev_settings(self.unlocked.ledger), runner=self.runner, parent=self
        )
        self.datev_dialog.exported.connect(self._on_datev_exported)
        self.datev_dialog.open()

    def _on_datev_exported(self, done: DatevExport) -> None:
        text = _("{lines} lines for {n} bank bookings written to {path}").format(
            lines=done.lines, n=done.transactions, path=done.path
        )
        if done.earlier:
            periods = ", ".join(f"{start}..{end}" for start, end in done.earlier)
            text += " " + _("Warning: overlaps periods exported before ({periods}).").format(periods=periods)
        self.statusBar().showMessage(text, 15_000)

    def _on_import_invoices_requested(self) -> None:
        self.show_page(Page.INVOICES)
        import_action = getattr(self.pages[Page.INVOICES], "import_action", None)
        if import_action is not None:
            import_action.trigger()

    # -- undo ----------------------------------------------------------------------------------------
    def _on_undo_action_triggered(self) -> None:
        from app.services.reconciliation.allocations import undo_last_allocation

        ledger, actor = self.unlocked.ledger, current_actor()

        def undo(cancel: threading.Event, progress: Callable[[int, int], None]) -> UndoneAllocation | None:
            return undo_last_allocation(ledger, actor=actor)

        self.runner.run(undo, on_success=self._on_undone, writes=True, parent=self)

    def _on_undone(self, undone: UndoneAllocation | None) -> None:
        if undone is None:
            text = _("Nothing to undo: you have not allocated a payment in Map.")
            self.statusBar().showMessage(text, STATUS_MESSAGE_MS)
            return
        self.statusBar().showMessage(
            _("Undone: {invoices} from the payment of {name} ({amount}); it is open again.").format(
                invoices=", ".join(undone.invoice_numbers), name=undone.counterparty_name,
                amount=format_amount(undone.amount),
            ),
            STATUS_MESSAGE_MS,
        )  # fmt: skip
        self.refresh_pages()

    # -- importing -----------------------------------------------------------------------------------
    def _on_import_action_triggered(self) -> None:
        self.importer.import_files(choose_statement_files(self))

    def _on_importer_imported(self, _results: object) -> None:
        """New bookings (an import, a sync): pages reload, and the forecast may have a new warning to raise."""
        self.refresh_pages()
        ledger = self.unlocked.ledger

        def check_forecast(cancel: threading.Event, progress: Progress) -> int:
            return notify_warnings(ledger)

        def raised(count: int) -> None:
            if count:
                self.notification_button.refresh()

        self.runner.run(check_forecast, on_success=raised, writes=True, parent=self)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_files(event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_files(event.mimeData().urls())
        if paths:
            event.acceptProposedAction()
            self.importer.import_files(paths)

    # -- file menu -----------------------------------------------------------------------------------
    def _on_new_action_triggered(self) -> None:
        self.new_ledger_requested.emit()

    def _on_open_action_triggered(self) -> None:
        path = choose_ledger_file(self)
        if path is not None:
            self.open_ledger_requested.emit(path)

    def _on_backup_action_triggered(self) -> None:
        path = self.unlocked.path
        target = choose_backup_file(self, path.with_name(f"{path.stem}-backup-{date.today():%Y-%m-%d}{LEDGER_SUFFIX}"))
        if target is None:
            return
        ledger, passphrase = self.unlocked.ledger, self.unlocked.passphrase

        def backup(cancel: threading.Event, progress: Progress) -> Path:
            return ledger.backup(target, passphrase=passphrase)

        self.set_activity(_("Writing backup…"))
        job = self.runner.run(
            backup, on_success=self._on_backup_succeeded, progress_text=_("Writing backup…"), parent=self
        )
        job.signals.finished.connect(lambda: self.set_activity(""))

    def _on_backup_succeeded(self, target: Path) -> None:
        self.statusBar().showMessage(_("Backup written to {path}").format(path=target), STATUS_MESSAGE_MS)

    def _on_passphrase_action_triggered(self) -> None:
        self.passphrase_dialog = ChangePassphraseDialog(current_passphrase=self.unlocked.passphrase, parent=self)
        self.passphrase_dialog.accepted.connect(self._on_passphrase_dialog_accepted)
        self.passphrase_dialog.open()

    def _on_passphrase_dialog_accepted(self) -> None:
        assert self.passphrase_dialog is not None
        new = self.passphrase_dialog.new_passphrase()
        ledger, path = self.unlocked.ledger, self.unlocked.path

        def change(cancel: threading.Event, progress: Progress) -> str:
            was_remembered = secrets.remembered_passphrase(path) is not None
            ledger.change_passphrase(new)
            if was_remembered:
                secrets.remember_passphrase(path, new)
            return new

        self.set_activity(_("Re-encrypting the ledger…"))
        job = self.runner.run(
            change,
            on_success=self._on_passphrase_changed,
            exclusive=True,
            progress_text=_("Re-encrypting the ledger…"),
            parent=self,
        )
        job.signals.finished.connect(lambda: self.set_activity(""))

    def _on_passphrase_changed(self, new: str) -> None:
        self.unlocked.passphrase = new
        self.statusBar().showMessage(_("Passphrase changed."), STATUS_MESSAGE_MS)

    def _on_demo_phone_action_triggered(self) -> None:
        assert self.demo is not None
        self.demo_phone = DemoPhoneDialog(self.demo.bank, parent=self)
        self.demo_phone.show()

    def _on_about_action_triggered(self) -> None:
        QMessageBox.about(
            self,
            _("About Kontor"),
            _(
                "<h3>Kontor {version}</h3>"
                "<p>Desktop banking and payment reconciliation for small companies.</p>"
                "<p>Proprietary software; all rights reserved.<br>"
                "Built with Qt {qt} (LGPLv3) through PySide6 {pyside}.</p>"
            ).format(version=__version__, qt=qVersion(), pyside=PySide6.__version__),
        )

    # -- lifetime ------------------------------------------------------------------------------------
    def _restore_ui_state(self) -> None:
        settings = ui_state()
        geometry = settings.value("mainWindow/geometry", b"")
        if not (isinstance(geometry, QByteArray | bytes) and self.restoreGeometry(geometry)):
            self.resize(1200, 760)
        state = settings.value("mainWindow/state")
        if state is not None:
            self.restoreState(state)
        splitter = settings.value("mainWindow/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        for page in self.pages.values():
            if isinstance(page, StatefulPage):
                page.restore_ui_state(settings)

    def save_ui_state(self) -> None:
        settings = ui_state()
        settings.setValue("mainWindow/geometry", self.saveGeometry())
        settings.setValue("mainWindow/state", self.saveState())
        settings.setValue("mainWindow/splitter", self.splitter.saveState())
        for page in self.pages.values():
            if isinstance(page, StatefulPage):
                page.save_ui_state(settings)
        settings.sync()

    def close_ledger(self) -> None:
        """Save UI state, stop the jobs (waiting up to a timeout) and close the ledger; safe to call twice."""
        if not self._ledger_open:
            return
        self._ledger_open = False
        self._listen_retry.stop()
        if self.change_watcher is not None:
            self.change_watcher.close()
        self.save_ui_state()
        if not self.runner.cancel_and_wait(SHUTDOWN_TIMEOUT_MS):
            log.warning("closing %s while a job is still running", self.unlocked.path)
        self.unlocked.ledger.close()
        self.lock_label.setText(_("Locked"))

    def close_quietly(self) -> None:
        """Close for a switch to another ledger: the application goes on."""
        self._announce_close = False
        self.close()

    def lock(self) -> None:
        """Close the ledger and hand over to the unlock dialog (the application listens to `locked`)."""
        where = self.unlocked.server_url or self.unlocked.path
        self.close_quietly()
        self.locked.emit(where)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.close_ledger()
        event.accept()
        if self._announce_close:
            self.closed.emit()
