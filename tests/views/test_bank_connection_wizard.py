"""The Add bank connection wizard, end to end against the demo bank over loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from app.demobank import DEMO_BLZ, DEMO_LOGIN, DEMO_PIN, DemoBank, DemoBankServer
from app.services.banking.account_choice import linked_accounts
from app.services.banking.connections import ConnectionSummary, list_connections
from app.services.ledger.database import Ledger
from app.services.ledger.secrets import pin_key, remembered_pin
from app.views.bank_connection_wizard import BankConnectionWizard
from app.views.jobs import JobRunner
from app.views.tan_dialog import WRONG_PIN_TEXT, ChoiceDialog


@pytest.fixture
def bank_server() -> Iterator[DemoBankServer]:
    server = DemoBankServer(DemoBank(seed=5)).start()
    yield server
    server.stop()


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    ledger = new_ledger(tmp_path / "firma.kontor", "pw", company_name="Firma GmbH")
    yield ledger
    ledger.close()


@pytest.fixture
def wizard(qtbot, ledger: Ledger, runner: JobRunner, bank_server: DemoBankServer) -> BankConnectionWizard:
    wizard = BankConnectionWizard(ledger, runner=runner, demo_url=bank_server.url)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def answer_choices(wizard: BankConnectionWizard, chosen: list[str], code: str = "942") -> Callable[[], None]:
    """Acts like the user on any TAN method/medium question: pick `code` if offered, else the first entry."""

    def step() -> None:
        dialog = wizard.prompt_dialogs.dialog
        if isinstance(dialog, ChoiceDialog) and dialog.isVisible():
            dialog.choose(code)
            chosen.append(dialog.value() or "")
            dialog.accept()

    return step


def fill_in(qtbot, wizard: BankConnectionWizard, *, pin: str, remember: bool = False) -> None:
    qtbot.keyClicks(wizard.bank_page.search_edit, "100 000 00")
    assert wizard.bank_page.name_label.text() == "Kontor Demobank (10000000)"
    assert wizard.bank_page.bic_label.text() == "MARKDEF1100"
    assert wizard.bank_page.url_edit.text() == wizard.bank_page.demo_url
    wizard.next()
    assert wizard.currentPage() is wizard.login_page
    assert wizard.login_page.demo_hint.isVisibleTo(wizard)
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    qtbot.keyClicks(wizard.login_page.login_edit, DEMO_LOGIN)
    qtbot.keyClicks(wizard.login_page.pin_edit, pin)
    wizard.login_page.remember_check.setChecked(remember)
    wizard.next()


def test_bank_found_by_blz_and_url_prefilled(qtbot, wizard: BankConnectionWizard) -> None:
    page = wizard.bank_page
    qtbot.keyClicks(page.search_edit, "76050101")
    assert "Sparkasse" in page.name_label.text() and page.bic_label.text() == "SSKNDE77XXX"
    assert page.url_edit.text() == "" and "website" in page.url_note.text()
    assert not page.isComplete()
    page.search_edit.setText("12345678")
    assert page.info is None and "Unknown BLZ" in page.name_label.text()
    page.search_edit.setText("20041111")  # comdirect-like Commerzbank BLZ: known URL
    assert page.url_edit.text().startswith("https://") and page.isComplete()
    qtbot.keyClicks(page.url_edit, "x")  # typed by the user: a later choice does not overwrite it
    page.search_edit.setText(DEMO_BLZ)
    assert page.url_edit.text().endswith("x")


def test_bank_found_by_name_or_pasted_iban(qtbot, wizard: BankConnectionWizard) -> None:
    page = wizard.bank_page
    qtbot.keyClicks(page.search_edit, "nurnberg")  # no umlaut typed
    assert page.model.rowCount() > 1 and page.info is None  # several hits: the user picks one
    names = [page.model.row_at(row).info.name for row in range(page.model.rowCount())]
    assert "Sparkasse Nürnberg" in names
    page.results.selectRow(names.index("Sparkasse Nürnberg"))
    assert page.info is not None and page.info.blz == "76050101"
    assert wizard.blz() == "76050101"
    page.search_edit.setText("Sparkasse Nuernberg")  # one hit: chosen at once
    assert page.model.rowCount() == 1 and page.info is not None and page.info.name == "Sparkasse Nürnberg"
    page.search_edit.setText("DE89 3704 0044 0532 0130 00")
    assert page.model.rowCount() == 1 and page.info is not None and page.info.blz == "37040044"
    assert page.url_edit.text() == "https://fints.commerzbank.de/PinTanCgi" and page.isComplete()
    page.search_edit.setText("zzzz no such bank")
    assert page.model.rowCount() == 0 and page.info is None and not page.isComplete()
    assert "zzzz" in page.count_label.text()


def test_connection_is_set_up_with_tan_method_choice(
    qtbot, wizard: BankConnectionWizard, ledger: Ledger, memory_keyring
) -> None:
    fill_in(qtbot, wizard, pin=DEMO_PIN, remember=True)
    page = wizard.connect_page
    chosen: list[str] = []
    step = answer_choices(wizard, chosen)
    qtbot.waitUntil(lambda: step() or page.summary is not None, timeout=30000)
    assert chosen[0] == "942"
    table = page.accounts_table
    assert table.rowCount() == 2 and table.item(0, 0).text().startswith("DE")
    assert {table.item(row, 1).text() for row in range(2)} == {"Geschäftskonto", "Tagesgeld"}
    assert "Kontor Demobank" in page.status_label.text()
    [stored] = list_connections(ledger)
    assert (stored.blz, stored.login, stored.tan_mechanism) == (DEMO_BLZ, DEMO_LOGIN, "942")
    assert remembered_pin(pin_key(DEMO_BLZ, DEMO_LOGIN)) == DEMO_PIN
    added: list[ConnectionSummary] = []
    wizard.connection_added.connect(added.append)
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    wizard.accept()
    qtbot.waitUntil(lambda: added == [stored])
    assert not wizard.isVisible()


def test_accounts_are_chosen_and_named_before_finish(qtbot, wizard: BankConnectionWizard, ledger: Ledger) -> None:
    fill_in(qtbot, wizard, pin=DEMO_PIN)
    page = wizard.connect_page
    step = answer_choices(wizard, [])
    qtbot.waitUntil(lambda: step() or page.summary is not None, timeout=30000)
    table = page.accounts_table
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    for row in range(2):
        table.item(row, 0).setCheckState(Qt.CheckState.Unchecked)
    assert not finish.isEnabled()  # at least one account
    table.item(0, 0).setCheckState(Qt.CheckState.Checked)
    assert finish.isEnabled()
    table.item(0, 1).setText("Hauptkonto")
    kept = table.item(0, 0).data(Qt.ItemDataRole.UserRole)
    added: list[ConnectionSummary] = []
    wizard.connection_added.connect(added.append)
    wizard.accept()
    qtbot.waitUntil(lambda: bool(added))
    assert [(a.iban, a.name) for a in linked_accounts(ledger, added[0].id)] == [(kept, "Hauptkonto")]


def test_wrong_pin_is_reported_and_not_retried(
    qtbot, wizard: BankConnectionWizard, ledger: Ledger, bank_server: DemoBankServer
) -> None:
    fill_in(qtbot, wizard, pin="99999")
    page = wizard.connect_page
    step = answer_choices(wizard, [])
    qtbot.waitUntil(lambda: step() or page.retry_button.isVisibleTo(wizard), timeout=30000)
    assert page.status_label.text() == WRONG_PIN_TEXT
    qtbot.wait(300)  # give an (unwanted) automatic retry the chance to show up
    assert bank_server.bank.users[DEMO_LOGIN].failed_pins == 1
    assert list_connections(ledger) == []
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
