"""Four-eyes that holds (issue 11, reproductions 1 and 2): nobody pays alone with the ledger passphrase.

Every change to payments runs as a user who proved their password; users are added by a signed-in admin; the
approver is a different signed-in approver; wrong passwords are counted in the ledger and lock the name.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from statement_files import Booking, mt940
from test_cli import kontor
from test_payments_support import HUBER_AT, OWN, PASS, PASSWORDS, TODAY, WEBER, make_ledger, signed_in

from app.models.schema import AuditEvent, PaymentRun, User
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.users import (
    FREE_ATTEMPTS,
    AuthenticationError,
    SignInLockedError,
    UserError,
    add_user,
    deactivate_user,
    sign_in,
)
from app.services.payments.approvals import approve_run
from app.services.payments.business_days import next_business_day
from app.services.payments.orders import create_transfer
from app.services.payments.runs import submit_run
from app.services.payments.sepa_checks import PaymentError

SECRET = "Vier-Augen-4711"
WEBER_CLI = "DE44500105175407324931"


def k(home: Path, ledger: Path, *args: str, **env: str):  # noqa: ANN201
    return kontor("--ledger", str(ledger), *args, home=home, env={"KONTOR_PASSPHRASE": SECRET, **env})


@pytest.fixture
def staffed(kontor_home: Path) -> Path:
    """A ledger with an account, whose admin dora added the bookkeeper anna and the approver bob, all via the CLI."""
    ledger = kontor_home / "firma.kontor"
    assert k(kontor_home, ledger, "init", "--company", "Müller GmbH").returncode == 0
    statement = kontor_home / "konto.sta"
    opening = [Booking(date(2026, 1, 5), Decimal("10.00"), "Start", "DE02120300000000202051", "Einlage")]
    statement.write_text(mt940(OWN, opening, opening=Decimal("0")), encoding="utf-8")
    assert k(kontor_home, ledger, "import", "statement", str(statement)).returncode == 0
    first = k(kontor_home, ledger, "user", "add", "dora", KONTOR_USER_PASSWORD="dora-pw", KONTOR_USER="")
    assert first.returncode == 0, first.stderr
    assert "(admin)" in first.stdout
    admin = {"KONTOR_USER": "dora", "KONTOR_USER_PASSWORD": "dora-pw"}
    for name, role in (("anna", "bookkeeper"), ("bob", "approver")):
        added = k(kontor_home, ledger, "user", "add", name, "--role", role, KONTOR_NEW_USER_PASSWORD=f"{name}-pw",
                  **admin)  # fmt: skip
        assert added.returncode == 0, added.stderr
    return ledger


def _users(home: Path, ledger: Path) -> list[tuple[str, str]]:
    listed = k(home, ledger, "user", "list", "--json")
    return [(user["name"], user["role"]) for user in json.loads(listed.stdout)["users"]]


def _transfer(home: Path, ledger: Path, **env: str):  # noqa: ANN202
    day = next_business_day(date.today() + timedelta(days=3)).isoformat()
    return k(home, ledger, "pay", "transfer", "--to", "Weber", "--iban", WEBER_CLI, "--amount", "900", "--text",
             "Rechnung 7", "--date", day, "--json", **env)  # fmt: skip


def test_user_add_without_an_admin_sign_in_is_refused_and_cannot_approve(kontor_home: Path, staffed: Path) -> None:
    """Reproduction 1: `KONTOR_USER_PASSWORD=pw-m kontor user add mallory --role approver`, then approve and export."""
    anna = {"KONTOR_USER": "anna", "KONTOR_USER_PASSWORD": "anna-pw"}
    created = _transfer(kontor_home, staffed, **anna)
    assert created.returncode == 0, created.stderr
    run_id = str(json.loads(created.stdout)["run_id"])
    assert k(kontor_home, staffed, "run", "submit", run_id, **anna).returncode == 0

    for role in ("approver", "admin"):
        anonymous = k(kontor_home, staffed, "user", "add", "mallory", "--role", role, KONTOR_USER_PASSWORD="pw-m")
        assert anonymous.returncode == 3 and "--user" in anonymous.stderr
        guessed = k(kontor_home, staffed, "user", "add", "mallory", "--role", role, "--user", "dora",
                    KONTOR_USER_PASSWORD="pw-m", KONTOR_NEW_USER_PASSWORD="pw-m")  # fmt: skip
        assert guessed.returncode == 3 and "pw-m" not in guessed.stderr + guessed.stdout
        by_bookkeeper = k(kontor_home, staffed, "user", "add", "mallory", "--role", role,
                          KONTOR_NEW_USER_PASSWORD="pw-m", **anna)  # fmt: skip
        assert by_bookkeeper.returncode == 1 and "admin" in by_bookkeeper.stderr
    assert _users(kontor_home, staffed) == [("anna", "bookkeeper"), ("bob", "approver"), ("dora", "admin")]

    approve = k(kontor_home, staffed, "run", "approve", run_id, "--user", "mallory", KONTOR_USER_PASSWORD="pw-m")
    assert approve.returncode == 3 and "pw-m" not in approve.stderr
    export = k(kontor_home, staffed, "run", "export", run_id, "--out", str(kontor_home / "run.xml"),
               KONTOR_USER="mallory", KONTOR_USER_PASSWORD="pw-m")  # fmt: skip
    assert export.returncode == 3 and not (kontor_home / "run.xml").exists()
    # the creator cannot approve her own run either; a different approver can, and then it exports
    own = k(kontor_home, staffed, "run", "approve", run_id, "--user", "anna", KONTOR_USER_PASSWORD="anna-pw")
    assert own.returncode == 1
    approved = k(kontor_home, staffed, "run", "approve", run_id, "--user", "bob", KONTOR_USER_PASSWORD="bob-pw")
    assert approved.returncode == 0, approved.stderr
    exported = k(kontor_home, staffed, "run", "export", run_id, "--out", str(kontor_home / "run.xml"), **anna)
    assert exported.returncode == 0, exported.stderr

    ledger = Ledger.open(staffed, SECRET)
    try:
        with ledger.session() as session:
            events = session.execute(select(AuditEvent.action, AuditEvent.summary).order_by(AuditEvent.id)).all()
            assert audit.verify(session).ok
    finally:
        ledger.close()
    assert ("create", "user anna (bookkeeper), added by admin dora") in events
    assert ("sign_in_failed", "wrong password or unknown user mallory") in events
    assert ("sign_in_failed", "wrong password or unknown user dora") in events
    assert ("sign_in", "bob signed in") in events


def test_an_admin_sets_approval_limits_and_above_one_a_second_approver_is_needed(
    kontor_home: Path, staffed: Path
) -> None:
    admin = {"KONTOR_USER": "dora", "KONTOR_USER_PASSWORD": "dora-pw"}
    bob = {"KONTOR_USER": "bob", "KONTOR_USER_PASSWORD": "bob-pw"}
    anna = {"KONTOR_USER": "anna", "KONTOR_USER_PASSWORD": "anna-pw"}
    refused = k(kontor_home, staffed, "user", "limit", "bob", "500", **bob)
    assert refused.returncode == 1 and "admin" in refused.stderr
    assert k(kontor_home, staffed, "user", "limit", "anna", "500", **admin).returncode == 1  # not an approver
    limited = k(kontor_home, staffed, "user", "limit", "bob", "500,00", **admin)
    assert limited.returncode == 0 and "500.00" in limited.stdout, limited.stderr

    created = _transfer(kontor_home, staffed, **anna)  # 900 EUR: above bob's limit
    run_id = str(json.loads(created.stdout)["run_id"])
    assert k(kontor_home, staffed, "run", "submit", run_id, **anna).returncode == 0
    first = k(kontor_home, staffed, "run", "approve", run_id, "--user", "bob", KONTOR_USER_PASSWORD="bob-pw")
    assert first.returncode == 0 and "second approver" in first.stdout, first.stdout + first.stderr
    assert json.loads(k(kontor_home, staffed, "run", "show", run_id, "--json").stdout)["status"] == "submitted"
    second = k(kontor_home, staffed, "run", "approve", run_id, "--user", "dora", KONTOR_USER_PASSWORD="dora-pw")
    assert second.returncode == 0, second.stderr
    assert json.loads(k(kontor_home, staffed, "run", "show", run_id, "--json").stdout)["status"] == "approved"
    assert k(kontor_home, staffed, "user", "limit", "bob", "none", **admin).returncode == 0


def test_only_an_admin_changes_roles_and_reactivates_and_the_last_admin_stays(kontor_home: Path, staffed: Path) -> None:
    admin = {"KONTOR_USER": "dora", "KONTOR_USER_PASSWORD": "dora-pw"}
    anna = {"KONTOR_USER": "anna", "KONTOR_USER_PASSWORD": "anna-pw"}
    by_bookkeeper = k(kontor_home, staffed, "user", "role", "anna", "approver", **anna)
    assert by_bookkeeper.returncode == 1 and "admin" in by_bookkeeper.stderr
    promoted = k(kontor_home, staffed, "user", "role", "anna", "approver", **admin)
    assert promoted.returncode == 0, promoted.stderr
    last_admin = k(kontor_home, staffed, "user", "role", "dora", "bookkeeper", **admin)
    assert last_admin.returncode == 1 and "last active admin" in last_admin.stderr
    assert _users(kontor_home, staffed) == [("anna", "approver"), ("bob", "approver"), ("dora", "admin")]

    assert k(kontor_home, staffed, "user", "deactivate", "bob", **admin).returncode == 0
    bob = {"KONTOR_USER": "bob", "KONTOR_USER_PASSWORD": "bob-pw"}
    assert k(kontor_home, staffed, "run", "approve", "999", **bob).returncode == 3  # deactivated: no sign-in
    refused = k(kontor_home, staffed, "user", "reactivate", "bob", **anna)
    assert refused.returncode == 1 and "admin" in refused.stderr
    back = k(kontor_home, staffed, "user", "reactivate", "bob", "--json", **admin)
    assert back.returncode == 0 and json.loads(back.stdout) == {"name": "bob"}
    signed_in = k(kontor_home, staffed, "run", "approve", "999", **bob)  # signs in, then finds no run 999
    assert signed_in.returncode == 1 and "999" in signed_in.stderr
    with Ledger.open(staffed, SECRET) as ledger, ledger.session() as session:
        summaries = session.scalars(select(AuditEvent.summary).order_by(AuditEvent.id)).all()
        assert audit.verify(session).ok
    assert "role of user anna: bookkeeper -> approver" in summaries
    assert summaries.index("user bob deactivated") < summaries.index("user bob reactivated")


def test_an_order_edited_after_approval_cannot_go_out_without_a_new_approval(kontor_home: Path, staffed: Path) -> None:
    anna = {"KONTOR_USER": "anna", "KONTOR_USER_PASSWORD": "anna-pw"}
    bob = {"KONTOR_USER": "bob", "KONTOR_USER_PASSWORD": "bob-pw"}
    first = json.loads(_transfer(kontor_home, staffed, **anna).stdout)
    second = json.loads(_transfer(kontor_home, staffed, **anna).stdout)
    run_id = str(first["run_id"])
    assert k(kontor_home, staffed, "run", "submit", run_id, **anna).returncode == 0
    assert k(kontor_home, staffed, "run", "approve", run_id, **bob).returncode == 0

    edited = k(kontor_home, staffed, "pay", "edit", str(first["order_id"]), "--amount", "9000", **anna)
    assert edited.returncode == 0, edited.stderr
    assert "approving again" in edited.stdout
    xml = kontor_home / "run.xml"
    refused = k(kontor_home, staffed, "run", "export", run_id, "--out", str(xml), **anna)
    assert refused.returncode != 0 and not xml.exists()
    assert k(kontor_home, staffed, "run", "approve", run_id, **bob).returncode == 0
    assert k(kontor_home, staffed, "pay", "delete", str(second["order_id"]), **anna).returncode == 0
    assert k(kontor_home, staffed, "run", "export", run_id, "--out", str(xml), **anna).returncode != 0
    assert k(kontor_home, staffed, "run", "approve", run_id, **bob).returncode == 0
    exported = k(kontor_home, staffed, "run", "export", run_id, "--out", str(xml), **anna)
    assert exported.returncode == 0, exported.stderr
    text = xml.read_text(encoding="utf-8")
    assert "<NbOfTxs>1</NbOfTxs>" in text and "9000.00" in text
    assert k(kontor_home, staffed, "pay", "edit", str(first["order_id"]), **anna).returncode == 1  # nothing to change


def test_first_user_is_the_admin(kontor_home: Path) -> None:
    ledger = kontor_home / "leer.kontor"
    assert k(kontor_home, ledger, "init", "--company", "Leer GmbH").returncode == 0
    before = _transfer(kontor_home, ledger, KONTOR_USER="anna", KONTOR_USER_PASSWORD="x")
    assert before.returncode == 3 and "user add" in before.stderr  # no payments before the admin exists
    refused = k(kontor_home, ledger, "user", "add", "anna", "--role", "approver", KONTOR_USER_PASSWORD="anna-pw")
    assert refused.returncode == 1 and "admin" in refused.stderr
    assert k(kontor_home, ledger, "user", "add", "anna", KONTOR_USER_PASSWORD="anna-pw").returncode == 0
    assert _users(kontor_home, ledger) == [("anna", "admin")]


def test_creator_is_authenticated(kontor_home: Path, staffed: Path) -> None:
    """Reproduction 2: `KONTOR_USER=ghost KONTOR_USER_PASSWORD=wrong kontor pay transfer …` was recorded."""
    for env in ({"KONTOR_USER": "ghost", "KONTOR_USER_PASSWORD": "wrong"},
                {"KONTOR_USER": "anna", "KONTOR_USER_PASSWORD": "wrong"},
                {"KONTOR_USER_PASSWORD": "anna-pw"}):  # fmt: skip
        refused = _transfer(kontor_home, staffed, **env)
        assert refused.returncode == 3, refused.stderr
        assert "wrong" not in refused.stderr.replace("Wrong password", "")
    listed = k(kontor_home, staffed, "run", "list", "--json")
    assert json.loads(listed.stdout)["runs"] == []
    created = _transfer(kontor_home, staffed, KONTOR_USER="anna", KONTOR_USER_PASSWORD="anna-pw")
    run_id = str(json.loads(created.stdout)["run_id"])
    shown = k(kontor_home, staffed, "run", "show", run_id, "--json")
    assert json.loads(shown.stdout)["created_by"] == "anna"


@pytest.fixture
def ledger(tmp_path: Path):  # noqa: ANN201
    opened = make_ledger(tmp_path / "firma.kontor")
    yield opened
    opened.close()


def test_services_refuse_names_nobody_signed_in_as(ledger: Ledger) -> None:
    with pytest.raises(AuthenticationError, match="ghost"):
        create_transfer(ledger, name="Weber", iban=WEBER, amount="10", text="x", actor="ghost", today=TODAY)
    dora = signed_in(ledger, "dora")
    with ledger.writer() as session:
        deactivate_user(session, name="anna", by=dora)
    with pytest.raises(AuthenticationError, match="anna"):
        create_transfer(ledger, name="Weber", iban=WEBER, amount="10", text="x", actor="anna", today=TODAY)
    with pytest.raises(AuthenticationError):
        sign_in(ledger, "anna", PASSWORDS["anna"])
    with pytest.raises(UserError, match="last active admin"), ledger.writer() as session:
        deactivate_user(session, name="dora", by=dora)


def test_an_admin_cannot_approve_alone(ledger: Ledger) -> None:
    dora = signed_in(ledger, "dora")
    done = create_transfer(ledger, name="Weber", iban=WEBER, amount="10", text="x", actor=dora.name, today=TODAY)
    create_transfer(ledger, name="Huber", iban=HUBER_AT, amount="5", text="y", actor=dora.name, today=TODAY)
    submit_run(ledger, done.run_id, actor=dora.name, today=TODAY)
    with pytest.raises(PaymentError, match="dora created"):
        approve_run(ledger, done.run_id, approver=dora)
    # a user the admin adds is a different person: allowed, but on record as the admin's doing
    with ledger.writer() as session:
        add_user(session, name="eve", role="approver", password="eve-pw", by=dora)
    assert approve_run(ledger, done.run_id, approver=sign_in(ledger, "eve", "eve-pw")).approved
    with ledger.session() as session:
        summaries = session.scalars(select(AuditEvent.summary).where(AuditEvent.entity == "users")).all()
        assert session.get(PaymentRun, done.run_id).status == "approved"  # type: ignore[union-attr]
    assert "user eve (approver), added by admin dora" in summaries


def test_wrong_passwords_lock_the_name_across_processes(ledger: Ledger, tmp_path: Path) -> None:
    now = datetime(2026, 3, 2, 9, 0)
    for attempt in range(FREE_ATTEMPTS):
        with pytest.raises(AuthenticationError) as failed:
            sign_in(ledger, "bob", f"rate-{attempt}", now=now)
        assert not isinstance(failed.value, SignInLockedError)
    ledger.close()
    reopened = Ledger.open(tmp_path / "firma.kontor", PASS)
    try:
        with pytest.raises(SignInLockedError, match="Too many wrong passwords for bob") as locked:
            sign_in(reopened, "bob", PASSWORDS["bob"], now=now + timedelta(seconds=10))
        assert "bob-geheim" not in str(locked.value)
        assert locked.value.until == now + timedelta(seconds=30)
        # after the lock the right password works and resets the count; another wrong run locks for longer
        assert sign_in(reopened, "bob", PASSWORDS["bob"], now=now + timedelta(seconds=31)).name == "bob"
        for attempt in range(FREE_ATTEMPTS + 1):
            later = now + timedelta(minutes=1 + attempt)
            with pytest.raises(AuthenticationError):
                sign_in(reopened, "bob", f"again-{attempt}", now=later)
        with reopened.session() as session:
            bob = session.scalar(select(User).where(User.name == "bob"))
            assert bob is not None and bob.failed_sign_ins == FREE_ATTEMPTS + 1
            assert bob.locked_until == later + timedelta(seconds=60)
            actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "sign_in")).all()
            assert audit.verify(session).ok
        assert actions.count("sign_in_failed") == 2 * FREE_ATTEMPTS + 1
        assert actions.count("sign_in_refused") == 1
    finally:
        reopened.close()
