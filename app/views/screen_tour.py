"""Every page and dialog of the main window, opened the way a user opens them, on the demo ledger.

One list of scenes serves `make screenshot` (pictures in docs/screens/) and the language test (every visible
text passed through gettext), so a new dialog added here is both pictured and checked. Nothing here blocks:
dialogs are opened with `open()`, never `exec()`, and no scene reaches a file dialog or a real bank.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, SignalInstance
from PySide6.QtWidgets import QApplication, QWidget

from app.demobank.challenges import flicker_code
from app.demobank.png import phototan_png
from app.services.banking.prompts import DecoupledPolling, PayeeCheck, TanChallenge, TanMechanismOption
from app.services.demo.data import DEMO_BLZ, DEMO_USERS, create_demo_ledger
from app.services.demo.screens import DemoScreens, demo_statement, prepare_demo_screens
from app.services.ledger.database import Ledger
from app.services.ledger.users import sign_in
from app.services.preferences import Preferences
from app.views.forecast_page import ForecastPage
from app.views.invoice_import_dialog import InvoiceImportDialog
from app.views.invoices_page import InvoicesPage
from app.views.jobs import JobRunner
from app.views.main_window import MainWindow
from app.views.pages import PAGES, Page
from app.views.payments_page import PaymentsPage
from app.views.tan_dialog import BankPromptDialogs
from app.views.transactions_page import TransactionsPage
from app.views.transfer_dialog import TransferDialog
from app.views.unlock_dialog import UnlockedLedger

DEMO_PASSPHRASE = "demo"
WINDOW_SIZE = (1280, 800)
SETTLE_MS = 250  # after the last job: pages paint what their workers delivered
JOB_TIMEOUT_S = 15.0

# Samples for files the user would choose: an invoice list (two of the demo customers) and a file no bank wrote.
INVOICE_CSV = (
    "Rechnungsnummer;Kunde;Rechnungsdatum;Fällig;Betrag\n"
    "RE-2026-0901;Bäckerei Schmidt OHG;01.12.2026;31.12.2026;1.190,00\n"
    "RE-2026-0902;Meyer Präzisionsteile OHG;02.12.2026;01.01.2027;2.380,50\n"
)
NOT_A_STATEMENT = "Notizen zum Monatsabschluss\nKasse zählen, Belege ablegen\n"
# A bank export in a layout no profile knows (the columns need the user): a title line, then the bookings.
UNKNOWN_BANK_CSV = "Umsatzliste Geschäftskonto;;;\nTag;Gegenüber;Zweck;Wert\n" + "".join(
    f"{day:02d}.11.2026;Bäckerei Schmidt OHG;RE-2026-00{day:02d};{day * 37},50\n" for day in range(2, 25)
)
# What banks send: German texts, the bank's own words (data, not Kontor's strings).
TAN_METHODS = [
    TanMechanismOption("942", "mobileTAN", "text"),
    TanMechanismOption("972", "chipTAN optisch", "flicker"),
    TanMechanismOption("982", "photoTAN", "photo"),
    TanMechanismOption("946", "SecureGo plus", "decoupled"),
]
SMS_CHALLENGE = TanChallenge("text", "Die TAN wurde an 0170 *** 4711 gesendet.", reference="R3")
FLICKER_CHALLENGE = TanChallenge(
    "flicker",
    "Halten Sie Ihren TAN-Generator an die Grafik.",
    reference="R4",
    flicker_code=flicker_code("12345678", "4711000000", "2842,30"),
)
APP_CHALLENGE = TanChallenge(
    "decoupled",
    "Bitte bestätigen Sie den Auftrag in Ihrer Banking-App.",
    reference="R1",
    polling=DecoupledPolling(2, 2, 10),
)
PAYEE_CHECK = PayeeCheck(
    "RVMC",
    iban="DE02120300000000202051",
    close_match_name="Stahlhandel Franken GmbH & Co. KG",
    notice="Wenn Sie den Auftrag trotzdem freigeben, kann das Geld auf ein Konto gehen, "
    "dessen Inhaber nicht der angegebene Empfänger ist.",
)


PHOTO_TEXT = "Bitte scannen Sie die Grafik mit Ihrer photoTAN-App."


def photo_challenge() -> TanChallenge:
    """Made when shown: the picture is drawn with Qt, which needs the application."""
    png = phototan_png("R2", "654321", "Sammelüberweisung 3 Aufträge")
    return TanChallenge("photo", PHOTO_TEXT, reference="R2", image=("image/png", png))


@dataclass(frozen=True)
class Scene:
    """One picture: `show` opens the page or dialog and returns the window to picture."""

    name: str
    show: Callable[[], QWidget]


class ScreenTour:
    """The demo ledger in a main window, with the boss signed in; `scenes()` lists what to open."""

    def __init__(self, app: QApplication, folder: Path, *, settle_ms: int = SETTLE_MS) -> None:
        self.app = app
        self.settle_ms = settle_ms
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "brenner-feinmechanik.kontor"
        ledger = Ledger.create(self.path, DEMO_PASSPHRASE, company_name="Demo")
        create_demo_ledger(ledger, actor="demo")
        self.demo: DemoScreens = prepare_demo_screens(ledger)
        self.ledger = ledger
        self.runner = JobRunner(app)
        unlocked = UnlockedLedger(ledger, DEMO_PASSPHRASE, ledger.company_name())
        self.window = MainWindow(unlocked, runner=self.runner, preferences=Preferences())
        self.window.resize(*WINDOW_SIZE)
        self.window.show()
        self.settle()  # the window offers sign-in: the first dialog scene pictures it
        self.empty_window: MainWindow | None = None

    def close(self) -> None:
        for window in (self.window, self.empty_window):
            if window is not None:
                window.close_quietly()  # closes its ledger
                window.deleteLater()
        self.runner.cancel_and_wait()

    # -- waiting -------------------------------------------------------------------------------------
    def settle(self, condition: Callable[[], bool] = lambda: True) -> None:
        """Process events until no job runs and `condition` holds, then a moment more for painting."""
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while (self.runner.active_jobs or not condition()) and time.monotonic() < deadline:
            self.app.processEvents()
            time.sleep(0.01)
        end = time.monotonic() + self.settle_ms / 1000
        while time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.01)

    # -- the scenes ----------------------------------------------------------------------------------
    def scenes(self) -> list[Scene]:
        pages = [Scene(f"page-{spec.page.name.lower()}", self._page(spec.page)) for spec in PAGES]
        dialogs = {
            "start": self._start,
            "unlock": self._unlock,
            "new-ledger": self._new_ledger,
            "change-passphrase": lambda: self._action_dialog(
                self.window.passphrase_action.trigger, "passphrase_dialog"
            ),
            "datev": lambda: self._action_dialog(self.window.datev_action.trigger, "datev_dialog"),
            "statement-import": self._statement_import,
            "csv-mapping": self._csv_mapping,
            "notifications": self._notifications,
            "bank-connection": self._bank_connection,
            "bank-connection-login": lambda: self._bank_connection(login=True),
            "transfer": lambda: self._payments_dialog("transfer_action"),
            "transfer-checked": self._transfer_checked,
            "transfer-warned": self._transfer_warned,
            "debit": lambda: self._payments_dialog("debit_action"),
            "mandates": lambda: self._payments_dialog("mandates_action"),
            "approval": self._approval,
            "order-edit": lambda: self._order_dialog("edit_order_action"),
            "move-orders": lambda: self._order_dialog("move_orders_action"),
            "map": self._map,
            "invoice-import": self._invoice_import,
            "invoice-import-preview": self._invoice_import_preview,
            "planned-item": self._planned_item,
            "credit-line": self._credit_line,
            "new-user": self._new_user,
            "pin": lambda: self._prompt(self.runner.prompts.pin_requested, "brenner @ Sparkasse Nürnberg"),
            "tan-method": lambda: self._prompt(self.runner.prompts.tan_mechanism_requested, TAN_METHODS),
            "tan-medium": lambda: self._prompt(self.runner.prompts.tan_medium_requested, ["Handy Anna", "Handy Chef"]),
            "tan-text": lambda: self._prompt(self.runner.prompts.tan_requested, SMS_CHALLENGE),
            "tan-photo": lambda: self._prompt(self.runner.prompts.tan_requested, photo_challenge()),
            "tan-flicker": lambda: self._prompt(self.runner.prompts.tan_requested, FLICKER_CHALLENGE),
            "tan-decoupled": lambda: self._prompt(self.runner.prompts.decoupled_waiting, APP_CHALLENGE, 1),
            "payee-check": lambda: self._prompt(self.runner.prompts.payee_check_requested, PAYEE_CHECK),
        }
        # the window asked who works here on opening: answered first, the pages show the boss signed in
        first = Scene("dialog-sign-in", self._sign_in)
        empty = [Scene(f"empty-{spec.page.name.lower()}", self._empty_page(spec.page)) for spec in PAGES]
        return [first, *pages, *(Scene(f"dialog-{name}", show) for name, show in dialogs.items()), *empty]

    def visit(self, only: Collection[str] | None = None) -> Iterator[tuple[Scene, QWidget | BaseException]]:
        """Each scene opened and settled, or the error that kept it from opening; dialogs close after the caller."""
        for scene in self.scenes():
            if only is not None and scene.name not in only:
                continue
            try:
                widget = scene.show()
                self.settle()
            except Exception as error:  # noqa: BLE001 - a scene that cannot open is reported, not fatal
                yield scene, error
                continue
            yield scene, widget
            if widget not in (self.window, self.empty_window):
                widget.close()
                self.settle(lambda: True)

    # -- pages ---------------------------------------------------------------------------------------
    def _page(self, page: Page) -> Callable[[], QWidget]:
        def show() -> QWidget:
            self.window.show_page(page)
            self.window.statusBar().clearMessage()  # "signed in as …" would stand twice in the picture
            if page == Page.PAYMENTS:
                self._select_run(self.demo.submitted_run_id)
            if page == Page.TRANSACTIONS:
                self._select_open_payment()
            if page == Page.INVOICES:
                self._select_paid_invoice()
            return self.window

        return show

    def _select_open_payment(self) -> None:
        """The payment to map, with its details beside the list, as the bookkeeper finds it."""
        page = self.window.pages[Page.TRANSACTIONS]
        assert isinstance(page, TransactionsPage)
        self.settle(lambda: not page.loading)
        model = page.model
        for row in range(min(model.rowCount(), 500)):
            if model.id_at(row) == self.demo.open_payment_id:
                page.table.selectRow(row)
                page.table.scrollTo(model.index(row, 0))
                break

    def _select_paid_invoice(self) -> None:
        """An invoice a payment settled, with that payment and its history in the detail pane."""
        page = self.window.pages[Page.INVOICES]
        assert isinstance(page, InvoicesPage)
        self.settle(lambda: page.model.rowCount() > 0)
        for row in range(page.model.rowCount()):
            if page.model.row_at(row).status == "paid" and page.model.row_at(row).kind == "receivable":
                page.table.selectRow(row)
                page.table.scrollTo(page.model.index(row, 0))
                break

    def _empty_page(self, page: Page) -> Callable[[], QWidget]:
        """The first start: a new ledger without accounts, bookings or invoices shows what to do first."""

        def show() -> QWidget:
            if self.empty_window is None:
                ledger = Ledger.create(self.folder / "muster-gmbh.kontor", DEMO_PASSPHRASE, company_name="Muster GmbH")
                unlocked = UnlockedLedger(ledger, DEMO_PASSPHRASE, ledger.company_name())
                self.empty_window = MainWindow(unlocked, runner=self.runner, preferences=Preferences())
                self.empty_window.resize(*WINDOW_SIZE)
                self.window.hide()
                self.empty_window.show()
            self.empty_window.show_page(page)
            return self.empty_window

        return show

    @property
    def payments(self) -> PaymentsPage:
        page = self.window.pages[Page.PAYMENTS]
        assert isinstance(page, PaymentsPage)
        return page

    def _select_run(self, run_id: int) -> None:
        self.settle()
        for row, run in enumerate(self.payments.run_model.rows()):
            if run.id == run_id:
                self.payments.run_table.selectRow(row)
                break
        else:
            raise LookupError(f"payment run {run_id} is not listed")
        self.settle()

    # -- dialogs -------------------------------------------------------------------------------------
    def _sign_in(self) -> QWidget:
        dialog = self.window.sign_in_dialog
        if dialog is None:
            self.window.ask_sign_in()
            dialog = self.window.sign_in_dialog
        assert dialog is not None
        dialog.user_edit.setText(DEMO_USERS[0][0])
        boss, password = DEMO_USERS[0][0], DEMO_USERS[0][2]
        dialog.finished.connect(lambda _code: self.window.identity.set_user(sign_in(self.ledger, boss, password)))
        return dialog

    def _start(self) -> QWidget:
        from app.views.start_dialog import StartDialog

        dialog = StartDialog([self.path, self.folder / "archiv" / "2025.kontor"], parent=self.window)
        dialog.show()
        return dialog

    def _unlock(self) -> QWidget:
        from app.views.unlock_dialog import UnlockDialog

        dialog = UnlockDialog(self.path, runner=self.runner, parent=self.window)
        dialog.show()
        dialog.passphrase_edit.setText("Kaffeetasse")
        dialog.buttons.accepted.emit()
        self.settle(dialog.error_label.isVisible)
        return dialog

    def _new_ledger(self) -> QWidget:
        from app.views.new_ledger_dialog import NewLedgerDialog

        dialog = NewLedgerDialog(runner=self.runner, directory=self.folder, parent=self.window)
        dialog.show()
        dialog.company_edit.setText("Muster GmbH")
        dialog.passphrase.passphrase_edit.setText("Kaffee Tasse")
        dialog.buttons.accepted.emit()
        return dialog

    def _action_dialog(self, trigger: Callable[[], None], attribute: str) -> QWidget:
        trigger()
        return _opened(getattr(self.window, attribute))

    def _statement_import(self) -> QWidget:
        """Today's statement and a file no bank wrote: the results dialog says what came in and names the error."""
        good = self.folder / "kontoauszug.sta"
        good.write_text(demo_statement(self.ledger), encoding="utf-8")
        bad = self.folder / "notizen.txt"
        bad.write_text(NOT_A_STATEMENT, encoding="utf-8")
        self.window.importer.dialog = None
        self.window.importer.import_files([good, bad])
        self.settle(lambda: self.window.importer.dialog is not None)
        return _opened(self.window.importer.dialog)

    def _csv_mapping(self) -> QWidget:
        """A bank CSV of an unknown layout: its columns, with the detector's guess to correct."""
        path = self.folder / "umsaetze-unbekannt.csv"
        path.write_text(UNKNOWN_BANK_CSV, encoding="utf-8")
        self.window.importer.mapping_dialog = None
        self.window.importer.import_files([path])
        self.settle(lambda: self.window.importer.mapping_dialog is not None)
        return _opened(self.window.importer.mapping_dialog)

    def _notifications(self) -> QWidget:
        self.window.notification_button.show_popup()
        return self.window.notification_button.popup

    def _bank_connection(self, *, login: bool = False) -> QWidget:
        """The wizard with a bank code typed (name, BIC and address appear), or already on the login page."""
        self.window.bank_flow.add_connection()
        wizard = self.window.bank_flow.wizard
        if wizard is None:
            raise LookupError("no bank connection wizard opened")
        wizard.bank_page.search_edit.setText(DEMO_BLZ)
        if login:
            wizard.bank_page.url_edit.setText("https://banking-by1.s-fints-pt-by.de/fints30")
            wizard.next()
        return wizard

    def _payments_dialog(self, action: str) -> QWidget:
        self.window.show_page(Page.PAYMENTS)
        getattr(self.payments, action).trigger()
        return _opened(self.payments.dialog)

    def _transfer_checked(self) -> QWidget:
        """A transfer with a mistyped IBAN, refused with the reason beside the field."""
        return self._filled_transfer("DE02 1203 0000 0000 2020 52")

    def _transfer_warned(self) -> QWidget:
        """A transfer to a recipient never paid before: the warning comes before the order is added."""
        dialog = self._filled_transfer("DE89 3704 0044 0532 0130 00")
        self.settle(dialog.warning_label.isVisible)
        return dialog

    def _filled_transfer(self, iban: str) -> TransferDialog:
        """The transfer form filled in as the bookkeeper does it, and OK pressed."""
        dialog = self._payments_dialog("transfer_action")
        assert isinstance(dialog, TransferDialog)
        dialog.name_edit.setText("Stahlhandel Franken GmbH")
        dialog.iban_edit.setText(iban)
        dialog.amount_edit.setText("1.840,50")
        dialog.text_edit.setPlainText("ER-2026-0412 Rundstahl")
        dialog.buttons.accepted.emit()
        return dialog

    def _approval(self) -> QWidget:
        self.window.show_page(Page.PAYMENTS)
        self._select_run(self.demo.submitted_run_id)
        return _opened(self.payments.open_approval())

    def _order_dialog(self, action: str) -> QWidget:
        self.window.show_page(Page.PAYMENTS)
        self._select_run(self.demo.draft_run_id)
        orders = self.payments.order_table
        self.settle(lambda: orders.model().rowCount() > 0)
        orders.selectionModel().select(
            orders.model().index(0, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        return self._payments_dialog(action)

    def _map(self) -> QWidget:
        from app.services.reconciliation.allocations import undo_allocation
        from app.services.reconciliation.draft import payment_to_map
        from app.views.map_dialog import MapDialog

        if self.demo.open_payment_id is None:
            raise LookupError("the demo has no open incoming payment")
        if not payment_to_map(self.ledger, self.demo.open_payment_id).can_allocate:
            # the demo matched every payment: take one back, so Map shows its suggestions and the search
            undo_allocation(self.ledger, transaction_id=self.demo.open_payment_id, actor="demo")
        dialog = MapDialog(self.ledger, self.demo.open_payment_id, runner=self.runner, parent=self.window)
        dialog.open()
        return dialog

    def _invoice_dialog(self) -> InvoiceImportDialog:
        self.window.show_page(Page.INVOICES)
        page = self.window.pages[Page.INVOICES]
        assert isinstance(page, InvoicesPage)
        page.import_action.trigger()
        dialog = _opened(page.import_dialog)
        assert isinstance(dialog, InvoiceImportDialog)
        return dialog

    def _invoice_import(self) -> QWidget:
        return self._invoice_dialog()

    def _invoice_import_preview(self) -> QWidget:
        path = self.folder / "rechnungen.csv"
        path.write_text(INVOICE_CSV, encoding="utf-8")
        dialog = self._invoice_dialog()
        self.settle()
        dialog.file_edit.setText(str(path))
        dialog.next_button.click()
        return dialog

    def _planned_item(self) -> QWidget:
        from app.views.forecast_dialogs import PlannedItemDialog

        dialog = PlannedItemDialog(self.window)
        dialog.open()
        return dialog

    def _credit_line(self) -> QWidget:
        from app.views.forecast_dialogs import CreditLineDialog

        forecast = self.window.pages[Page.FORECAST]
        assert isinstance(forecast, ForecastPage)
        self.window.show_page(Page.FORECAST)
        self.settle(lambda: forecast.result is not None)
        result = forecast.result
        if result is None:
            raise LookupError("the forecast did not load")
        accounts = [(account.id, account.label, account.credit_line_cents) for account in result.accounts]
        dialog = CreditLineDialog(accounts, self.window)
        dialog.open()
        return dialog

    def _new_user(self) -> QWidget:
        from app.views.users_box import NewUserDialog

        dialog = NewUserDialog(first=False, parent=self.window)
        dialog.open()
        return dialog

    def _prompt(self, signal: SignalInstance, *payload: object) -> QWidget:
        """A bank's question as a worker asks it; closing the dialog answers the future nobody waits on."""
        dialogs = BankPromptDialogs.attach(self.runner.prompts)
        signal.emit(*payload, Future())
        return _opened(dialogs.dialog)


def _opened(widget: QWidget | None) -> QWidget:
    """The dialog an action opened; a scene whose action opened none is reported as failed."""
    if widget is None:
        raise LookupError("nothing opened")
    return widget
