"""Bank › Add bank connection: BLZ, login and PIN, then one job that sets the login up and lists its accounts."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.demobank import DEMO_BLZ, DEMO_LOGIN, DEMO_PIN
from app.services.banking.account_choice import LinkedAccount, choose_accounts, linked_accounts
from app.services.banking.bank_directory import RESULT_LIMIT, blz_in, search_banks
from app.services.banking.banks import BankInfo
from app.services.banking.connections import ConnectionSummary, add_connection
from app.services.formatting import grouped_iban
from app.services.i18n import _
from app.services.ledger import secrets
from app.services.ledger.database import Ledger
from app.services.ledger.users import current_actor
from app.views.bank_table_model import BankColumn, BankTableModel
from app.views.jobs import Job, JobRunner, Progress
from app.views.tables import new_table
from app.views.tan_dialog import BankPromptDialogs, bank_error_text
from app.views.tone import set_tone

BANK_COLUMN_WIDTHS = {BankColumn.PLACE: 170, BankColumn.BLZ: 85, BankColumn.BIC: 105, BankColumn.ADDRESS: 125}


class BankPage(QWizardPage):
    """Which bank: found in the directory by name, BLZ, BIC or a pasted IBAN as you type; the PIN/TAN address is
    prefilled where Kontor knows it."""

    def __init__(self, demo_url: str | None) -> None:
        super().__init__()
        self.setTitle(_("Which bank?"))
        self.setSubTitle(_("Search by the bank's name and town, its bank code (BLZ), BIC, or paste an IBAN."))
        self.demo_url = demo_url
        self.info: BankInfo | None = None
        self._url_typed = False
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(_("e.g. Sparkasse Nürnberg, 760 501 01 or an IBAN"))
        self.search_edit.setClearButtonEnabled(True)
        self.model = BankTableModel(self)
        self.results = new_table(self.model, widths=BANK_COLUMN_WIDTHS, stretch=BankColumn.NAME)
        self.results.setMinimumHeight(170)
        self.results.selectionModel().currentRowChanged.connect(self._on_results_current_row_changed)
        self.count_label = QLabel()
        self.count_label.setObjectName("hint")
        self.name_label = QLabel()
        self.name_label.setObjectName("bankName")
        self.name_label.setWordWrap(True)
        self.bic_label = QLabel()
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://…")
        self.url_note = QLabel()
        self.url_note.setWordWrap(True)
        self.url_note.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.count_label)
        form = QFormLayout()
        form.addRow(_("Bank:"), self.name_label)
        form.addRow(_("BIC (SWIFT code):"), self.bic_label)
        form.addRow(_("FinTS address:"), self.url_edit)
        form.addRow("", self.url_note)
        layout.addLayout(form)
        self.search_edit.textChanged.connect(self._on_search_edit_text_changed)
        self.url_edit.textEdited.connect(self._on_url_edit_text_edited)
        self.url_edit.textChanged.connect(self.completeChanged)

    def _on_search_edit_text_changed(self, text: str) -> None:
        """A new search; a BLZ, an IBAN or a single hit is chosen at once, otherwise the user picks a row."""
        found = search_banks(text, demo_url=self.demo_url)
        self.model.set_rows(found)
        blz = blz_in(text)
        if found and (blz is not None or len(found) == 1):
            self.results.selectRow(0)
        else:
            self._show(None)
        if blz is not None and not found:
            self.name_label.setText(_("Unknown BLZ {blz}").format(blz=blz))
        if len(found) >= RESULT_LIMIT:
            self.count_label.setText(_("The first {n} banks; type more of the name or the town.").format(n=len(found)))
        elif text.strip() and not found:
            self.count_label.setText(_("No bank matches “{text}”.").format(text=text.strip()))
        else:
            self.count_label.setText("")

    def _on_results_current_row_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self._show(self.model.row_at(current.row()).info if current.isValid() else None)

    def _show(self, info: BankInfo | None) -> None:
        self.info = info
        self.name_label.setText(f"{info.name} ({info.blz})" if info else "")
        self.bic_label.setText(info.bic if info else "")
        if not self._url_typed:
            self.url_edit.setText(info.fints_url or "" if info else "")
        unknown_url = info is not None and not info.fints_url
        self.url_note.setText(
            _("Kontor does not know this bank's FinTS address; your bank's website lists it (PIN/TAN, HBCI).")
            if unknown_url
            else ""
        )
        self.completeChanged.emit()

    def _on_url_edit_text_edited(self, text: str) -> None:
        self._url_typed = bool(text)

    def isComplete(self) -> bool:
        return self.info is not None and self.url_edit.text().strip().startswith(("https://", "http://127.0.0.1"))


class LoginPage(QWizardPage):
    """The online banking login; the PIN goes to the bank once and to the keyring only if asked."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle(_("Online banking login"))
        self.setSubTitle(_("The login name and PIN you use for online banking at this bank."))
        self.login_edit = QLineEdit()
        self.customer_edit = QLineEdit()
        self.customer_edit.setPlaceholderText(_("only if your bank gave you one"))
        self.pin_edit = QLineEdit()
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember_check = QCheckBox(_("Remember PIN on this computer"))
        self.keyring_note = QLabel()
        self.keyring_note.setObjectName("hint")
        self.keyring_note.setWordWrap(True)
        self.demo_hint = QLabel(_("Demo bank: login {login}, PIN {pin}").format(login=DEMO_LOGIN, pin=DEMO_PIN))
        self.demo_hint.setObjectName("hint")
        form = QFormLayout(self)
        form.addRow(_("Login name:"), self.login_edit)
        form.addRow(_("Customer ID:"), self.customer_edit)
        form.addRow(_("Banking PIN:"), self.pin_edit)
        form.addRow("", self.remember_check)
        form.addRow("", self.keyring_note)
        form.addRow("", self.demo_hint)
        self.login_edit.textChanged.connect(self.completeChanged)
        self.pin_edit.textChanged.connect(self.completeChanged)

    def initializePage(self) -> None:
        usable = secrets.keyring_usable()
        self.remember_check.setEnabled(usable)
        if not usable:
            self.remember_check.setChecked(False)
        self.keyring_note.setText(
            "" if usable else _("No OS keyring is available on this computer; the PIN will be asked at each sync.")
        )
        wizard = self.wizard()
        self.demo_hint.setVisible(isinstance(wizard, BankConnectionWizard) and wizard.blz() == DEMO_BLZ)

    def isComplete(self) -> bool:
        return bool(self.login_edit.text().strip() and self.pin_edit.text())


class ConnectPage(QWizardPage):
    """Runs the setup against the bank; TAN method, medium and any TAN are asked through the prompt dialogs. Then the
    user ticks the accounts to keep and names them."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle(_("Connecting to the bank"))
        self.summary: ConnectionSummary | None = None
        self.job: Job | None = None
        self.status_label = QLabel()
        self.status_label.setObjectName("connectionStatus")
        self.status_label.setWordWrap(True)
        self.accounts_table = QTableWidget(0, 2)
        self.accounts_table.setHorizontalHeaderLabels([_("Keep account"), _("Name in Kontor")])
        self.accounts_table.verticalHeader().hide()
        self.accounts_table.horizontalHeader().resizeSection(0, 300)
        self.accounts_table.horizontalHeader().setStretchLastSection(True)
        self.accounts_table.setEditTriggers(QTableWidget.EditTrigger.AllEditTriggers)
        self.accounts_table.itemChanged.connect(self.completeChanged)
        self.accounts_hint = QLabel(
            _("Untick accounts that do not belong in the company's books; Kontor will not fetch them. "
              "Double-click a name to change it.")
        )  # fmt: skip
        self.accounts_hint.setObjectName("hint")
        self.accounts_hint.setWordWrap(True)
        self.retry_button = QPushButton(_("Try again"))
        self.retry_button.clicked.connect(self._start)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.accounts_table)
        layout.addWidget(self.accounts_hint)
        layout.addWidget(self.retry_button)

    def initializePage(self) -> None:
        self._start()

    def cleanupPage(self) -> None:
        """Back: stop a setup still running, so the user can correct the PIN and try again by hand."""
        if self.job is not None:
            self.job.cancel.set()

    def isComplete(self) -> bool:
        return self.summary is not None and bool(self.kept())

    def kept(self) -> dict[str, str]:
        """IBAN → name of the ticked accounts."""
        return {iban: name for iban, name, keep in self._choices() if keep}

    def left_out(self) -> list[str]:
        return [iban for iban, _name, keep in self._choices() if not keep]

    def _choices(self) -> list[tuple[str, str, bool]]:
        """(IBAN, name, ticked) per row of the accounts table."""
        table, choices = self.accounts_table, []
        for row in range(table.rowCount()):
            keep, name = table.item(row, 0), table.item(row, 1)
            if keep is not None and name is not None:
                iban = str(keep.data(Qt.ItemDataRole.UserRole))
                choices.append((iban, name.text(), keep.checkState() == Qt.CheckState.Checked))
        return choices

    def _start(self) -> None:
        wizard = self.wizard()
        assert isinstance(wizard, BankConnectionWizard)
        self.summary = None
        self.accounts_table.setRowCount(0)
        for widget in (self.accounts_table, self.accounts_hint, self.retry_button):
            widget.hide()
        set_tone(self.status_label, "")
        bank = wizard.bank_page.info.name if wizard.bank_page.info else ""
        self.status_label.setText(_("Connecting to {bank}…").format(bank=bank))
        self.completeChanged.emit()
        self.job = wizard.start_setup(on_success=self._on_setup_succeeded, on_failure=self._on_setup_failed)

    def _on_setup_succeeded(self, result: tuple[ConnectionSummary, list[LinkedAccount]]) -> None:
        self.job = None
        self.summary, accounts = result
        self.status_label.setText(
            _("Connected to {bank}. Kontor found these accounts:").format(bank=self.summary.bank_name)
        )
        self.accounts_table.blockSignals(True)
        self.accounts_table.setRowCount(len(accounts))
        for row, account in enumerate(accounts):
            keep = QTableWidgetItem(grouped_iban(account.iban))
            keep.setData(Qt.ItemDataRole.UserRole, account.iban)
            keep.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            keep.setCheckState(Qt.CheckState.Checked)
            self.accounts_table.setItem(row, 0, keep)
            self.accounts_table.setItem(row, 1, QTableWidgetItem(account.name or grouped_iban(account.iban)))
        self.accounts_table.blockSignals(False)
        self.accounts_table.show()
        self.accounts_hint.show()
        self.completeChanged.emit()

    def _on_setup_failed(self, error: BaseException) -> None:
        self.job = None
        set_tone(self.status_label, "error")
        self.status_label.setText(bank_error_text(error))
        self.retry_button.show()

    def show_error(self, error: BaseException) -> None:
        """A refused name (empty, too long) while the choice was saved."""
        set_tone(self.status_label, "error")
        self.status_label.setText(str(error))


class BankConnectionWizard(QWizard):
    """Three pages; nothing is stored until the bank accepted the login (add_connection is all-or-nothing)."""

    connection_added = Signal(object)  # ConnectionSummary

    def __init__(
        self, ledger: Ledger, *, runner: JobRunner, demo_url: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("bankConnectionWizard")
        self.setWindowTitle(_("Add bank connection"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.ledger = ledger
        self.runner = runner
        self.prompt_dialogs = BankPromptDialogs.attach(runner.prompts)
        self.prompt_dialogs.cancelled.connect(self._on_prompt_dialogs_cancelled)
        self.bank_page = BankPage(demo_url)
        self.login_page = LoginPage()
        self.connect_page = ConnectPage()
        for page in (self.bank_page, self.login_page, self.connect_page):
            self.addPage(page)
        self.setMinimumWidth(800)
        self.rejected.connect(self.connect_page.cleanupPage)

    def blz(self) -> str:
        return self.bank_page.info.blz if self.bank_page.info else ""

    def start_setup(
        self,
        *,
        on_success: Callable[[tuple[ConnectionSummary, list[LinkedAccount]]], None],
        on_failure: Callable[[BaseException], None],
    ) -> Job:
        """One job = one FinTS dialog: bootstrap, TAN method, accounts; the PIN is remembered only on success."""
        ledger, prompts, actor = self.ledger, self.runner.prompts, current_actor()
        blz, url = self.blz(), self.bank_page.url_edit.text().strip()
        login, customer_id = self.login_page.login_edit.text().strip(), self.login_page.customer_edit.text().strip()
        pin, remember = self.login_page.pin_edit.text(), self.login_page.remember_check.isChecked()

        def run(cancel: threading.Event, progress: Progress) -> tuple[ConnectionSummary, list[LinkedAccount]]:
            summary = add_connection(
                ledger, blz=blz, url=url, login=login, customer_id=customer_id, pin=pin, prompts=prompts,
                actor=actor, cancel=cancel,
            )  # fmt: skip
            if remember:
                secrets.remember_pin(secrets.pin_key(summary.blz, summary.login), pin)
            return summary, linked_accounts(ledger, summary.id)

        return self.runner.run(run, on_success=on_success, on_failure=on_failure, writes=True, parent=self)

    def _on_prompt_dialogs_cancelled(self) -> None:
        """A cancelled prompt ends the setup at once instead of at the bank's next step."""
        if self.connect_page.job is not None:
            self.connect_page.job.cancel.set()

    def accept(self) -> None:
        """Finish: the accounts' names and the left-out ones are saved first; the wizard closes once they are."""
        summary, page = self.connect_page.summary, self.connect_page
        if summary is None:
            return
        ledger, actor, names, left_out = self.ledger, current_actor(), page.kept(), page.left_out()

        def run(cancel: threading.Event, progress: Progress) -> None:
            choose_accounts(ledger, summary.id, names=names, excluded=left_out, actor=actor)

        def done(_none: None) -> None:
            super(BankConnectionWizard, self).accept()
            self.connection_added.emit(summary)

        self.runner.run(run, on_success=done, on_failure=page.show_error, writes=True, parent=self)
