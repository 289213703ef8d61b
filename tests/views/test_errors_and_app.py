"""The error presenter, the excepthook, run_gui end to end, and the Qt-free services behind the views."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from PySide6.QtWidgets import QApplication, QMessageBox

from app.services import i18n
from app.services.banking.connections import BankConnectionError
from app.services.banking.fints_client import BankUnavailableError, WrongPinError
from app.services.ledger.company import rename_company, suggested_ledger_path
from app.services.ledger.database import LedgerError
from app.services.ledger.passphrases import Strength, rate_passphrase
from app.services.logs import setup_logging
from app.services.payments.sepa_checks import PaymentError
from app.services.preferences import MAX_RECENT, Preferences, load_preferences, save_preferences
from app.services.reports.dashboard import dashboard_summary
from app.views import application
from app.views.errors import install_excepthook, present_error
from app.views.main_window import MainWindow
from app.views.tan_dialog import bank_error_text


@pytest.fixture
def log_file(isolated_home: Path) -> Iterator[Path]:
    path = setup_logging()
    yield path
    for handler in [h for h in logging.getLogger().handlers if getattr(h, "kontor", False)]:
        logging.getLogger().removeHandler(handler)
        handler.close()


def test_service_error_shows_its_message_and_the_log_path(qapp, shown_messages, log_file: Path) -> None:
    present_error(LedgerError("/data/firma.kontor: no such ledger file"))
    [shown] = shown_messages
    assert shown.icon == QMessageBox.Icon.Warning
    assert shown.text == "/data/firma.kontor: no such ledger file"
    assert shown.informative == f"Details are in the log: {log_file}"


def test_a_file_the_system_refused_is_named_with_the_reason_in_german(
    qapp, shown_messages, log_file: Path, tmp_path: Path
) -> None:
    """The operating system words its errors in English; the message box says them in the user's language."""
    try:
        (tmp_path / "auszug.xml").open("rb")
    except OSError as error:
        i18n.set_language("de")
        try:
            present_error(error)
        finally:
            i18n.set_language("en")
    [shown] = shown_messages
    assert shown.icon == QMessageBox.Icon.Warning
    assert shown.text == f"{tmp_path / 'auszug.xml'}: nicht gefunden"


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (PaymentError("iban", "DE00 is not a valid IBAN."), "iban: DE00 is not a valid IBAN."),
        (BankUnavailableError("The bank cannot be reached."), "The bank cannot be reached."),
        (WrongPinError("The bank did not accept the PIN."), "The bank did not accept the PIN."),
    ],
)
def test_payment_and_bank_errors_are_user_messages_not_unexpected(
    qapp, shown_messages, log_file: Path, error: Exception, text: str
) -> None:
    """Every KontorError is a message for the user, without a view having to know its class."""
    present_error(error)
    [shown] = shown_messages
    assert shown.icon == QMessageBox.Icon.Warning
    assert shown.text == text and "unexpected" not in shown.text
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "Traceback" not in log_file.read_text(encoding="utf-8")


def test_a_bank_connection_error_reads_as_itself_in_the_bank_flows(qapp, log_file: Path) -> None:
    assert bank_error_text(BankConnectionError("There is no bank connection 7.")) == "There is no bank connection 7."
    assert "unexpected" in bank_error_text(KeyError("x"))


def test_unexpected_error_is_logged_with_traceback_but_shown_short(qapp, shown_messages, log_file) -> None:
    try:
        {}["missing"]
    except KeyError as error:
        present_error(error)
    [shown] = shown_messages
    assert shown.icon == QMessageBox.Icon.Critical
    assert "KeyError" in shown.text and "Traceback" not in shown.text and "missing" not in shown.text
    assert str(log_file) in shown.informative
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "Traceback" in log_file.read_text(encoding="utf-8")


def test_excepthook_routes_uncaught_errors_to_the_presenter(qapp, shown_messages, log_file) -> None:
    previous = install_excepthook()
    try:
        try:
            raise RuntimeError("boom")
        except RuntimeError as error:
            sys.excepthook(type(error), error, error.__traceback__)
    finally:
        sys.excepthook = previous
    assert len(shown_messages) == 1 and "RuntimeError" in shown_messages[0].text


def test_run_gui_unlocks_with_kontor_passphrase_and_quits(qtbot, demo_ledger_path, monkeypatch, log_file) -> None:
    monkeypatch.setenv("KONTOR_PASSPHRASE", "demo")
    seen: list[str] = []

    def fake_exec() -> int:
        qtbot.waitUntil(
            lambda: any(isinstance(w, MainWindow) and w.isVisible() for w in QApplication.topLevelWidgets())
        )
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        seen.append(window.windowTitle())
        window.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", staticmethod(fake_exec))
    hook = sys.excepthook
    assert application.run_gui(demo_ledger_path) == 0
    assert seen == ["Kontor — Brenner Feinmechanik GmbH"]
    assert sys.excepthook is hook
    assert load_preferences().last_ledger == str(demo_ledger_path.resolve())
    QApplication.instance().setStyleSheet("")


# -- the Qt-free services of this shell --------------------------------------------------------------------
def test_preferences_round_trip_and_recent_limit(isolated_home: Path) -> None:
    prefs = load_preferences()
    assert prefs == Preferences(language="en")  # KONTOR_LANG=en in the tests
    for number in range(MAX_RECENT + 3):
        prefs.remember_ledger(isolated_home / f"l{number}.kontor")
    prefs.remember_ledger(isolated_home / "l5.kontor")
    path = save_preferences(prefs)
    loaded = load_preferences()
    assert len(loaded.recent_ledgers) == MAX_RECENT
    assert loaded.recent_ledgers[0].endswith("l5.kontor") and loaded.last_ledger == loaded.recent_ledgers[0]
    assert len(set(loaded.recent_ledgers)) == MAX_RECENT
    assert json.loads(path.read_text())["language"] == "en"
    path.write_text("{not json")
    assert load_preferences() == Preferences(language="en")


def test_env_language_wins_over_the_saved_one(monkeypatch) -> None:
    assert Preferences(language="de").ui_language() == "en"
    monkeypatch.delenv("KONTOR_LANG")
    assert Preferences(language="de").ui_language() == "de"


def test_company_helpers(tmp_path: Path) -> None:
    assert suggested_ledger_path("Müller & Söhne GmbH", tmp_path).name == "mueller-soehne-gmbh.kontor"
    (tmp_path / "mueller-soehne-gmbh.kontor").touch()
    assert suggested_ledger_path("Müller & Söhne GmbH", tmp_path).name == "mueller-soehne-gmbh-2.kontor"
    assert rate_passphrase("kurz").strength == Strength.TOO_SHORT
    assert rate_passphrase("aaaaaaaaaaaa").strength == Strength.WEAK
    assert rate_passphrase("Kaffee Tasse Fenster Laterne").strength == Strength.STRONG


def test_dashboard_of_an_empty_ledger_and_rename(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path / "new.kontor", "secret passphrase", company_name="Neu GmbH")
    try:
        summary = dashboard_summary(ledger, today=date(2026, 1, 1))
        assert (summary.company_name, summary.accounts, summary.total_cents, summary.recent) == ("Neu GmbH", (), 0, ())
        assert rename_company(ledger, "  Neu   AG ", actor="test") == "Neu AG"
        assert ledger.company_name() == "Neu AG"
        with pytest.raises(LedgerError):
            rename_company(ledger, " ", actor="test")
    finally:
        ledger.close()


def test_view_services_import_without_qt() -> None:
    code = (
        "import sys; sys.modules['PySide6'] = None\n"
        "import app.services.preferences, app.services.ledger.company, app.services.reports.dashboard\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
