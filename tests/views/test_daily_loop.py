"""The bookkeeper's day on the demo (issue 14): first sync → what happened to the money → Map on the payment that
quotes a paid invoice says so → held as the customer's credit → the boss approves a run with one order excluded.
Real demo bank, real encrypted ledger, real widgets."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from test_fints_support import PhonePrompts

from app.demobank import DEMO_PIN
from app.models.schema import BankAccount, Transaction
from app.services.banking.connections import list_connections, sync
from app.services.demo.data import DEMO_USERS, add_demo_users
from app.services.demo.setup import paid_again, prepare_demo_bank
from app.services.ledger.database import Ledger
from app.services.ledger.users import sign_in
from app.services.payments.orders import create_transfer
from app.services.payments.runs import run_orders, run_row, submit_run
from app.services.reconciliation.automatic import after_statement_import
from app.services.reconciliation.draft import payment_to_map
from app.views.approval_dialog import ApprovalDialog
from app.views.jobs import JobRunner
from app.views.map_dialog import MapDialog
from app.views.sign_in_dialog import Identity


def test_the_bookkeepers_day_on_the_demo(qtbot, demo_ledger: Ledger, runner: JobRunner, tmp_path: Path) -> None:
    [(number, customer, _iban, amount)] = paid_again(demo_ledger)
    server = prepare_demo_bank(demo_ledger, actor="test")
    try:
        [connection] = list_connections(demo_ledger)
        result = sync(demo_ledger, connection.id, pin=DEMO_PIN, prompts=PhonePrompts(server.bank), actor="test",
                      after_import=after_statement_import("test"))  # fmt: skip
    finally:
        server.stop()
    outcome = result.outcome
    assert outcome.new == result.new > 0
    assert outcome.assigned > 0  # customer payments quoting the ledger's open invoices
    assert outcome.no_invoice > outcome.attention  # salaries, rent, cards and the like by the demo's rules

    with demo_ledger.session() as session:
        twice = session.scalars(
            select(Transaction).where(Transaction.purpose.contains(number), Transaction.reconciliation == "open")
        ).one()
    dialog = MapDialog(demo_ledger, twice.id, runner=runner)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.show()
    assert dialog.paid_box.isVisible() and f"{number} of {customer} is already paid" in dialog.paid_label.text()
    with qtbot.waitSignal(dialog.changed, timeout=10_000):
        dialog.credit_button.click()
    assert payment_to_map(demo_ledger, twice.id).credit == amount

    add_demo_users(demo_ledger)
    with demo_ledger.session() as session:
        business = session.scalars(select(BankAccount.iban).where(BankAccount.name == "Geschäftskonto")).first()
    (boss, _role, boss_password), (clerk, _role2, _password2) = DEMO_USERS[:2]
    first = create_transfer(demo_ledger, name="Würth Industrie Service", iban="DE44500105175407324931", amount="120",
                            text="LS-1", account_iban=business, actor=clerk)  # fmt: skip
    create_transfer(demo_ledger, name="Hoffmann Group", iban="DE12500105170648489890", amount="80", text="LS-2",
                    account_iban=business, actor=clerk)  # fmt: skip
    submit_run(demo_ledger, first.run_id, actor=clerk)
    identity = Identity()
    identity.set_user(sign_in(demo_ledger, boss, boss_password))
    approval = ApprovalDialog(demo_ledger, first.run_id, runner=runner, identity=identity)
    qtbot.addWidget(approval)
    qtbot.waitUntil(lambda: approval.summary is not None, timeout=10_000)
    approval.show()
    approval.table.selectRow(1)
    with qtbot.waitSignal(approval.order_excluded, timeout=10_000):
        approval.exclude_button.click()
    qtbot.waitUntil(lambda: approval.summary is not None and approval.summary.count == 1, timeout=10_000)
    approval.user_edit.setText(boss)
    approval.password_edit.setText(boss_password)
    approval.approve_button.click()
    qtbot.waitUntil(lambda: run_row(demo_ledger, first.run_id).status == "approved", timeout=10_000)
    assert [o.name for o in run_orders(demo_ledger, first.run_id)] == ["Würth Industrie Service"]
