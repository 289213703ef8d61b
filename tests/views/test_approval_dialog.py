"""The approval dialog at the user's level: warnings first, personal passwords, creators refused inline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from payments_ledger import HUBER_AT, PASSWORDS, WEBER, identity_for, make_ledger, submitted_run
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from app.models.schema import Customer
from app.services.formatting import grouped_iban
from app.services.invoices.einvoice_import import import_einvoices
from app.services.ledger.database import Ledger
from app.services.payments.orders import transfer_from_invoice
from app.services.payments.runs import run_orders, run_row, submit_run
from app.views.approval_dialog import ApprovalDialog
from app.views.jobs import JobRunner


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = make_ledger(tmp_path / "firma.kontor")
    yield opened
    opened.close()


def show(qtbot, ledger: Ledger, runner: JobRunner, run_id: int) -> ApprovalDialog:
    dialog = ApprovalDialog(ledger, run_id, runner=runner, identity=identity_for(ledger, "carla"))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=10_000)
    dialog.show()
    return dialog


def sign(qtbot, dialog: ApprovalDialog, name: str, password: str | None = None) -> None:
    dialog.user_edit.setText(name)
    dialog.password_edit.setText(PASSWORDS[name] if password is None else password)
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.approve_button.isEnabled, timeout=10_000)


def test_summary_shows_first_time_recipients_prominently(qtbot, ledger: Ledger, runner: JobRunner) -> None:
    dialog = show(qtbot, ledger, runner, submitted_run(ledger))
    assert "2 orders" in dialog.title_label.text() and "€1,290.00" in dialog.title_label.text()
    assert "Created by anna." in dialog.people_label.text()
    assert dialog.warnings_label.isVisible()
    text = dialog.warnings_label.text()
    assert "⚠ First-time recipient (2): Bäckerei Weber e.K., Huber GmbH" in text  # one line per kind
    assert dialog.model.rowCount() == 2
    assert dialog.model.index(0, 4).data() == "First-time recipient"
    assert "first payment ever" in dialog.model.index(0, 4).data(Qt.ItemDataRole.ToolTipRole)  # the details
    assert "now," in dialog.people_label.text() and "after this run" in dialog.people_label.text()


def test_creator_and_bookkeeper_are_refused_inline_a_second_user_approves(
    qtbot, ledger: Ledger, runner: JobRunner, shown_messages
) -> None:
    run_id = submitted_run(ledger, actor="bob")
    dialog = show(qtbot, ledger, runner, run_id)
    sign(qtbot, dialog, "bob")
    assert "bob created (part of) run" in dialog.errors.text("user")
    sign(qtbot, dialog, "anna")
    assert "may not approve" in dialog.errors.text("user")
    sign(qtbot, dialog, "carla", "falsch")
    assert "Wrong password" in dialog.errors.text("password")
    assert run_row(ledger, run_id).status == "submitted"
    with qtbot.waitSignal(dialog.approved, timeout=10_000) as approved:
        sign(qtbot, dialog, "carla")
    assert approved.args[0].approved and approved.args[0].approved_by == ("carla",)
    assert dialog.errors.text("user") == "" and dialog.result_label.text() == f"Run {run_id} is approved."
    assert run_row(ledger, run_id).status == "approved"
    assert shown_messages == []


def test_a_changed_run_is_not_approved_blind(qtbot, ledger: Ledger, runner: JobRunner) -> None:
    from app.services.payments.orders import create_transfer

    run_id = submitted_run(ledger)
    dialog = show(qtbot, ledger, runner, run_id)
    create_transfer(ledger, name="Nachzügler", iban="DE44500105175407324931", amount="5", text="x", actor="anna",
                    run_id=run_id)  # fmt: skip
    sign(qtbot, dialog, "bob")
    assert "changed since you looked" in dialog.general_error.text()


def test_reject_needs_a_reason(qtbot, ledger: Ledger, runner: JobRunner) -> None:
    run_id = submitted_run(ledger)
    dialog = show(qtbot, ledger, runner, run_id)
    qtbot.mouseClick(dialog.reject_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.errors.text("reason") != "", timeout=10_000)
    dialog.reason_edit.setText("Huber ist schon bezahlt")
    with qtbot.waitSignal(dialog.run_rejected, timeout=10_000):
        qtbot.mouseClick(dialog.reject_button, Qt.MouseButton.LeftButton)
    row = run_row(ledger, run_id)
    assert (row.status, row.status_reason) == ("rejected", "Huber ist schon bezahlt")


def test_the_approver_excludes_one_order_and_approves_the_rest(qtbot, ledger: Ledger, runner: JobRunner) -> None:
    run_id = submitted_run(ledger)
    dialog = show(qtbot, ledger, runner, run_id)
    assert not dialog.exclude_button.isEnabled()
    dialog.table.selectRow(1)  # Huber GmbH
    assert dialog.exclude_button.isEnabled()
    with qtbot.waitSignal(dialog.order_excluded, timeout=10_000) as excluded:
        dialog.exclude_button.click()
    qtbot.waitUntil(lambda: dialog.summary is not None and dialog.summary.count == 1, timeout=10_000)
    draft = excluded.args[0]
    assert [o.name for o in run_orders(ledger, draft)] == ["Huber GmbH"] and run_row(ledger, draft).status == "draft"
    assert "Huber GmbH is now in draft run" in dialog.result_label.text()
    sign(qtbot, dialog, "bob")
    qtbot.waitUntil(lambda: run_row(ledger, run_id).status == "approved", timeout=10_000)
    assert [o.name for o in run_orders(ledger, run_id)] == ["Bäckerei Weber e.K."]


def test_an_approver_confirms_the_new_account_an_invoice_names(
    qtbot, ledger: Ledger, runner: JobRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = Path(__file__).resolve().parents[1] / "data" / "einvoices"
    xml = (samples / "zugferd-xml_xrechnung_1.xml").read_text(encoding="utf-8")  # Lieferant GmbH, paid to WEBER
    import_einvoices(ledger, [samples / "zugferd-xml_xrechnung_1.xml"], actor="anna")
    changed = tmp_path / "471103.xml"
    changed.write_text(
        xml.replace("<ram:ID>471102</ram:ID>", "<ram:ID>471103</ram:ID>", 1).replace(WEBER, HUBER_AT), "utf-8"
    )
    import_einvoices(ledger, [changed], actor="anna")
    order = transfer_from_invoice(ledger, "471103", actor="anna")
    submit_run(ledger, order.run_id, actor="anna")
    dialog = ApprovalDialog(ledger, order.run_id, runner=runner, identity=identity_for(ledger, "bob"))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=10_000)
    dialog.show()
    assert dialog.warnings_label.text().splitlines()[1:] == ["⚠ Changed IBAN (1): Lieferant GmbH"]
    assert not dialog.account_button.isEnabled()
    dialog.table.selectRow(0)
    assert dialog.account_button.isEnabled()
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda parent, title, text: asked.append(text) or QMessageBox.StandardButton.Yes
    )
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.account_button, Qt.MouseButton.LeftButton)
    assert "at a number you already had" in asked[0] and grouped_iban(HUBER_AT) in asked[0]
    assert dialog.result_label.text() == f"{grouped_iban(HUBER_AT)} is now Lieferant GmbH's account on record."
    with ledger.session() as session:
        assert session.scalar(select(Customer.iban).where(Customer.name == "Lieferant GmbH")) == HUBER_AT
    assert run_row(ledger, order.run_id).status == "submitted"  # the orders are unchanged: still to approve
