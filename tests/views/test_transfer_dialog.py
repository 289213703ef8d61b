"""The transfer form at the user's level: live IBAN and text feedback, field errors from the service, warnings."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from payments_ledger import HUBER_AT, WEBER, identity_for, make_ledger
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from sqlalchemy import func, select

from app.models.schema import PaymentOrder
from app.services.i18n import set_language
from app.services.ledger.database import Ledger
from app.services.payments.runs import run_orders
from app.views.jobs import JobRunner
from app.views.transfer_dialog import TransferDialog


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = make_ledger(tmp_path / "firma.kontor")
    yield opened
    opened.close()


@pytest.fixture
def dialog(qtbot, ledger: Ledger, runner: JobRunner) -> TransferDialog:
    form = TransferDialog(ledger, runner=runner, identity=identity_for(ledger, "anna"))
    qtbot.addWidget(form)
    form.show()
    return form


def test_invalid_iban_is_shown_under_the_field(qtbot, dialog: TransferDialog) -> None:
    dialog.iban_edit.setText("DE02 1203 0000 0000 2020 99")
    dialog.iban_edit.editingFinished.emit()
    assert dialog.errors.text("iban") == (
        "DE02 1203 0000 0000 2020 99 is not a valid IBAN: the check digits do not fit: a digit is probably mistyped."
    )
    assert dialog.bank_label.text() == ""
    assert not dialog.bic_edit.isEnabled()


def test_valid_german_iban_shows_bank_and_bic(qtbot, dialog: TransferDialog) -> None:
    dialog.iban_edit.setText("DE02 1203 0000 0000 2020 51")
    assert dialog.bank_label.text() == "Deutsche Kreditbank Berlin · BIC BYLADEM1001"
    assert not dialog.bic_edit.isEnabled() and dialog.bic_edit.text() == "BYLADEM1001"
    dialog.iban_edit.setText("FR1420041010050500013M02606")
    assert dialog.bic_edit.isEnabled() and dialog.bic_edit.text() == ""
    assert dialog.bank_label.text() == "LA BANQUE POSTALE"


def test_text_counter_and_sepa_charset_hint(qtbot, dialog: TransferDialog) -> None:
    dialog.text_edit.setPlainText("Rechnung Nr. 17 für Müller")
    assert dialog.counter_label.text().startswith("28 of 140 characters")
    assert "sent as: Rechnung Nr. 17 fuer Mueller" in dialog.counter_label.toolTip()
    dialog.text_edit.setPlainText("x" * 141)
    assert dialog.counter_label.text().startswith("141 of 140")


def test_service_refusal_lands_next_to_its_field(qtbot, dialog: TransferDialog, ledger: Ledger) -> None:
    dialog.name_edit.setText("Bäckerei Weber e.K.")
    dialog.iban_edit.setText(WEBER)
    dialog.text_edit.setPlainText("Lieferung")
    dialog.amount_edit.setText("zwölf")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "is not an amount" in dialog.errors.text("amount")
    dialog.amount_edit.setText("12")
    dialog.iban_edit.setText("FR1420041010050500013M02606")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.errors.text("bic") != "", timeout=10_000)
    assert "Please enter the BIC" in dialog.errors.text("bic")


def orders_in(ledger: Ledger) -> int:
    with ledger.session() as session:
        return session.scalar(select(func.count()).select_from(PaymentOrder)) or 0


def test_a_transfer_with_warnings_is_added_only_once_they_are_confirmed(
    qtbot, dialog: TransferDialog, ledger: Ledger
) -> None:
    set_language("de")
    dialog.name_edit.setText("Huber GmbH")
    dialog.iban_edit.setText(HUBER_AT)
    dialog.amount_edit.setText("1.234,56")
    dialog.text_edit.setPlainText("Rechnung 4711")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.warning_label.isVisible, timeout=10_000)
    assert dialog.warning_label.text().startswith("Noch nicht hinzugefügt.")
    assert "Huber GmbH" in dialog.warning_label.text()
    assert dialog.ok_button.text() == "Trotzdem hinzufügen"
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel) is not None
    assert orders_in(ledger) == 0  # nothing written while the warning waits, not even a draft run

    dialog.amount_edit.setText("1.234,57")  # other values than those warned about: checked again, not added
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.ok_button.isEnabled(), timeout=10_000)
    assert orders_in(ledger) == 0 and dialog.isVisible()

    with qtbot.waitSignal(dialog.created, timeout=10_000) as created:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    result = created.args[0]
    assert result.amount == Decimal("1234.57")
    assert [w.kind for w in result.warnings] == ["first_time"]  # kept on the order for the approver
    assert not dialog.isVisible()
    [order] = run_orders(ledger, result.run_id)
    assert (order.name, order.iban, order.remittance) == ("Huber GmbH", HUBER_AT, "Rechnung 4711")
