"""Settings › Users (issue 16): admins add, change, limit, reset and deactivate users in the GUI; everyone changes
their own password; the first user of an empty ledger becomes its admin and is signed in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from payments_ledger import PASS, PASSWORDS, identity_for, make_ledger
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QInputDialog
from sqlalchemy import select

from app.models.schema import AuditEvent, User
from app.services.ledger.database import Ledger
from app.services.ledger.users import AuthenticationError, sign_in
from app.services.payments.settings import load_payment_config
from app.views.jobs import JobRunner
from app.views.sign_in_dialog import Identity
from app.views.users_box import NewPasswordDialog, NewUserDialog, UsersBox


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    ledger = make_ledger(tmp_path / "firma.kontor")
    yield ledger
    ledger.close()


def shown_box(qtbot, ledger: Ledger, runner: JobRunner, identity: Identity) -> UsersBox:
    box = UsersBox(ledger, runner=runner, identity=identity)
    qtbot.addWidget(box)
    box.show()
    qtbot.waitUntil(lambda: box.table.rowCount() > 0 or "No users" in box.hint.text(), timeout=10_000)
    return box


def table(box: UsersBox) -> list[tuple[str, ...]]:
    return [
        tuple(box.table.item(row, column).text() for column in range(box.table.columnCount()))
        for row in range(box.table.rowCount())
    ]


def select_user(box: UsersBox, name: str) -> None:
    box.table.selectRow(next(row for row, line in enumerate(table(box)) if line[0] == name))


def click_and_wait(qtbot, box: UsersBox, button, until: Callable[[], bool]) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(until, timeout=10_000)


def press_ok(dialog: QDialog) -> None:
    """Click the dialog's OK button, which runs its own checks before it accepts."""
    buttons = dialog.findChild(QDialogButtonBox)
    assert buttons is not None
    buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def answer_dialog(monkeypatch: pytest.MonkeyPatch, cls: type[QDialog], fill: Callable[[QDialog], None]) -> None:
    def exec_(dialog: QDialog) -> int:
        fill(dialog)
        press_ok(dialog)
        return dialog.result()

    monkeypatch.setattr(cls, "exec", exec_)


def test_an_admin_adds_a_user_who_can_then_sign_in(qtbot, monkeypatch, ledger: Ledger, runner: JobRunner) -> None:
    box = shown_box(qtbot, ledger, runner, identity_for(ledger, "dora"))
    assert [line[:3] for line in table(box)] == [
        ("anna", "bookkeeper", "active"),
        ("bob", "approver", "active"),
        ("carla", "approver", "active"),
        ("dora", "admin", "active"),
    ]
    assert box.add_button.isEnabled() and not box.role_button.isEnabled()  # nothing selected yet

    def fill(dialog: NewUserDialog) -> None:
        dialog.name_edit.setText("erik")
        dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("approver"))
        dialog.password.setText("erik-geheim")
        dialog.repeat.setText("erik-geheim")

    answer_dialog(monkeypatch, NewUserDialog, fill)
    click_and_wait(qtbot, box, box.add_button, lambda: box.table.rowCount() == 5)
    assert ("erik", "approver", "active") in [line[:3] for line in table(box)]
    assert sign_in(ledger, "erik", "erik-geheim").role == "approver"
    with ledger.session() as session:
        summaries = session.scalars(select(AuditEvent.summary).where(AuditEvent.actor == "dora")).all()
    assert any("user erik (approver), added by admin dora" in summary for summary in summaries)


def test_two_different_passwords_keep_the_dialog_open(qtbot, monkeypatch, ledger: Ledger, runner: JobRunner) -> None:
    box = shown_box(qtbot, ledger, runner, identity_for(ledger, "dora"))
    seen: list[str] = []

    def fill(dialog: NewUserDialog) -> None:
        dialog.name_edit.setText("erik")
        dialog.password.setText("erik-geheim")
        dialog.repeat.setText("erik-anders")

    def exec_(dialog: NewUserDialog) -> int:
        fill(dialog)
        press_ok(dialog)
        seen.append(dialog.error.text())
        return dialog.result()

    monkeypatch.setattr(NewUserDialog, "exec", exec_)
    qtbot.mouseClick(box.add_button, Qt.MouseButton.LeftButton)
    assert seen == ["The two passwords differ."]
    with ledger.session() as session:
        assert session.scalar(select(User).where(User.name == "erik")) is None


def test_role_limit_and_deactivation_are_stored_and_shown(
    qtbot, monkeypatch, ledger: Ledger, runner: JobRunner
) -> None:
    box = shown_box(qtbot, ledger, runner, identity_for(ledger, "dora"))
    select_user(box, "anna")
    assert not box.limit_button.isEnabled()  # a bookkeeper approves nothing, so has no limit
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *args, **kwargs: ("approver", True)))
    click_and_wait(qtbot, box, box.role_button, lambda: ("anna", "approver", "active") in [r[:3] for r in table(box)])

    select_user(box, "bob")
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *args, **kwargs: ("5000", True)))
    click_and_wait(qtbot, box, box.limit_button, lambda: dict((r[0], r[3]) for r in table(box))["bob"] != "no limit")
    assert load_payment_config(ledger).approval_limit("bob") == Decimal("5000")
    assert dict((r[0], r[3]) for r in table(box))["bob"] == "€5,000.00"

    select_user(box, "carla")
    assert box.active_button.text() == "Deactivate"
    click_and_wait(
        qtbot, box, box.active_button, lambda: ("carla", "approver", "deactivated") in [r[:3] for r in table(box)]
    )
    with pytest.raises(AuthenticationError):
        sign_in(ledger, "carla", PASSWORDS["carla"])
    select_user(box, "carla")
    assert box.active_button.text() == "Reactivate"
    click_and_wait(
        qtbot, box, box.active_button, lambda: ("carla", "approver", "active") in [r[:3] for r in table(box)]
    )
    assert sign_in(ledger, "carla", PASSWORDS["carla"]).name == "carla"


def test_the_last_admin_keeps_the_role(qtbot, monkeypatch, ledger: Ledger, runner: JobRunner) -> None:
    box = shown_box(qtbot, ledger, runner, identity_for(ledger, "dora"))
    select_user(box, "dora")
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *args, **kwargs: ("bookkeeper", True)))
    click_and_wait(qtbot, box, box.role_button, lambda: box.error.isVisible())
    assert "dora is the last active admin" in box.error.text()
    assert ("dora", "admin", "active") in [line[:3] for line in table(box)]


def test_a_bookkeeper_changes_only_their_own_password(qtbot, monkeypatch, ledger: Ledger, runner: JobRunner) -> None:
    box = shown_box(qtbot, ledger, runner, identity_for(ledger, "anna"))
    select_user(box, "bob")
    assert not any(b.isEnabled() for b in (box.add_button, box.role_button, box.password_button, box.active_button))
    assert "Only an admin" in box.hint.text() and box.own_password_button.isEnabled()

    def fill(dialog: NewPasswordDialog) -> None:
        dialog.password.setText("anna-neu-2026")
        dialog.repeat.setText("anna-neu-2026")

    answer_dialog(monkeypatch, NewPasswordDialog, fill)
    click_and_wait(qtbot, box, box.own_password_button, lambda: box.status.text() == "Password of anna changed.")
    assert sign_in(ledger, "anna", "anna-neu-2026").name == "anna"
    with pytest.raises(AuthenticationError):
        sign_in(ledger, "anna", PASSWORDS["anna"])


def test_the_first_user_of_an_empty_ledger_becomes_admin_and_is_signed_in(
    qtbot, monkeypatch, tmp_path: Path, runner: JobRunner
) -> None:
    ledger = new_ledger(tmp_path / "neu.kontor", PASS, company_name="Neu GmbH")
    identity = Identity()
    box = shown_box(qtbot, ledger, runner, identity)
    assert box.add_button.isEnabled() and "No users yet" in box.hint.text()
    roles: list[tuple[str, bool]] = []

    def fill(dialog: NewUserDialog) -> None:
        roles.append((dialog.role_combo.currentData(), dialog.role_combo.isEnabled()))
        dialog.name_edit.setText("chef")
        dialog.password.setText("chef-geheim")
        dialog.repeat.setText("chef-geheim")

    answer_dialog(monkeypatch, NewUserDialog, fill)
    click_and_wait(qtbot, box, box.add_button, lambda: box.table.rowCount() == 1)
    assert roles == [("admin", False)]
    assert identity.user is not None and (identity.user.name, identity.user.role) == ("chef", "admin")
    box.table.selectRow(0)
    assert box.role_button.isEnabled()  # the new admin manages users at once
    ledger.close()
