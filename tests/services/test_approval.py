"""Four-eyes approval: personal passwords, creators barred, limits needing two approvers, changes voiding approval."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from test_payments_support import HUBER_AT, TODAY, WEBER, opened_ledger, signed_in

from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.users import AuthenticationError, UserError, change_password, list_users, sign_in
from app.services.payments.approvals import approval_summary, approve_run
from app.services.payments.orders import create_transfer, remove_order, update_order
from app.services.payments.runs import (
    RunSender,
    SendResult,
    export_run,
    reject_run,
    run_row,
    send_run,
    submit_run,
)
from app.services.payments.sepa_checks import PaymentError
from app.services.payments.settings import PaymentConfig, save_payment_config

pytestmark = pytest.mark.both_ledgers


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with opened_ledger(tmp_path / "firma.kontor") as opened:
        yield opened


def _run(ledger: Ledger, amount: str = "2500", actor: str = "anna") -> int:
    done = create_transfer(ledger, name="Weber", iban=WEBER, amount=amount, text="Lieferung", actor=actor, today=TODAY)
    create_transfer(ledger, name="Huber", iban=HUBER_AT, amount="100", text="Porto", actor=actor, today=TODAY)
    submit_run(ledger, done.run_id, actor=actor, today=TODAY)
    return done.run_id


def _approve(ledger: Ledger, run_id: int, name: str, **kwargs: object):  # noqa: ANN202
    return approve_run(ledger, run_id, approver=signed_in(ledger, name), **kwargs)  # type: ignore[arg-type]


def test_users_authenticate_with_their_own_password(ledger: Ledger) -> None:
    with ledger.session() as session:
        assert [(u.name, u.role) for u in list_users(session)] == [
            ("anna", "bookkeeper"), ("bob", "approver"), ("carla", "approver"), ("dora", "admin")
        ]  # fmt: skip
    assert signed_in(ledger, "bob").name == "bob"
    for name, password in (("bob", "falsch"), ("niemand", "x")):
        with pytest.raises(AuthenticationError, match=f"Wrong password or unknown user {name}"):
            sign_in(ledger, name, password)
    bob, dora, anna = signed_in(ledger, "bob"), signed_in(ledger, "dora"), signed_in(ledger, "anna")
    with ledger.writer() as session:
        change_password(session, name="bob", new_password="neu-neu", by=bob)
    assert sign_in(ledger, "bob", "neu-neu")
    with pytest.raises(UserError, match="admin"), ledger.writer() as session:
        change_password(session, name="bob", new_password="von-anna", by=anna)
    with pytest.raises(UserError, match="4 characters"), ledger.writer() as session:
        change_password(session, name="bob", new_password="abc", by=dora)


def test_creator_bookkeeper_and_wrong_password_cannot_approve(ledger: Ledger) -> None:
    run_id = _run(ledger, actor="bob")
    with pytest.raises(AuthenticationError):
        sign_in(ledger, "carla", "falsch")
    with pytest.raises(PaymentError, match="created") as creator:
        _approve(ledger, run_id, "bob")
    assert creator.value.field == "user"
    with pytest.raises(PaymentError, match="bookkeeper"):
        _approve(ledger, run_id, "anna")
    result = _approve(ledger, run_id, "carla")
    assert result.approved and result.approved_by == ("carla",)
    assert run_row(ledger, run_id).status == "approved"
    with pytest.raises(PaymentError, match="only submitted"):
        _approve(ledger, run_id, "dora")


def test_adding_to_someone_elses_run_bars_approving_it(ledger: Ledger) -> None:
    run_id = _run(ledger)
    create_transfer(ledger, name="Selbst", iban=HUBER_AT, amount="9", text="Ich", actor="carla", run_id=run_id)
    with pytest.raises(PaymentError, match="created"):
        _approve(ledger, run_id, "carla")


def test_above_the_limit_two_approvers_are_needed(ledger: Ledger) -> None:
    save_payment_config(
        ledger, PaymentConfig(single_approval_limit=Decimal("10000"), approval_limits={"dora": Decimal("50000")}),
        actor="dora",
    )  # fmt: skip
    small = _run(ledger, amount="9900")
    assert _approve(ledger, small, "bob").approved  # 10,000.00 in total: within bob's limit
    large = _run(ledger, amount="12000")
    summary = approval_summary(ledger, large, today=TODAY)
    assert (summary.count, summary.total) == (2, Decimal("12100.00"))
    first = _approve(ledger, large, "bob")
    assert not first.approved and "second approver" in first.message
    assert run_row(ledger, large).status == "submitted"
    with pytest.raises(PaymentError, match="already"):
        _approve(ledger, large, "bob")
    second = _approve(ledger, large, "carla")
    assert second.approved and second.approved_by == ("bob", "carla")
    alone = _run(ledger, amount="30000")
    assert _approve(ledger, alone, "dora").approved  # dora's own limit is higher


def test_a_change_after_approval_voids_it(ledger: Ledger, tmp_path: Path) -> None:
    run_id = _run(ledger)
    summary = approval_summary(ledger, run_id, today=TODAY)
    order_id = summary.orders[0].id
    assert _approve(ledger, run_id, "bob", seen_digest=summary.digest).approved
    update_order(ledger, order_id, amount="2600", actor="anna")
    assert run_row(ledger, run_id).status == "submitted"
    assert approval_summary(ledger, run_id, today=TODAY).approved_by == ()
    with pytest.raises(PaymentError, match="approved runs"):
        export_run(ledger, run_id, tmp_path / "x.xml", actor="anna")
    with pytest.raises(PaymentError, match="changed since you looked"):
        _approve(ledger, run_id, "bob", seen_digest=summary.digest)
    assert _approve(ledger, run_id, "bob").approved
    remove_order(ledger, summary.orders[1].id, actor="anna")
    assert run_row(ledger, run_id).status == "submitted"
    reject_run(ledger, run_id, reason="Lieferung unvollständig", actor="carla")
    row = run_row(ledger, run_id)
    assert (row.status, row.status_reason) == ("rejected", "Lieferung unvollständig")
    with pytest.raises(PaymentError, match="no longer be changed"):
        update_order(ledger, order_id, text="neu", actor="anna")
    with ledger.session() as session:
        assert audit.verify(session).ok


def test_summary_warns_about_new_recipients_and_duplicates(ledger: Ledger) -> None:
    run_id = _run(ledger)
    create_transfer(ledger, name="Weber", iban=WEBER, amount="2500", text="Lieferung", actor="anna", run_id=run_id)
    summary = approval_summary(ledger, run_id, today=TODAY)
    kinds = sorted({(w.kind, w.order_id) for w in summary.warnings})
    assert [kind for kind, _order in kinds].count("duplicate") == 2  # each copy points at the other
    assert {kind for kind, _order in kinds} == {"duplicate", "first_time"}
    assert [o.name for o in summary.orders] == ["Weber", "Huber", "Weber"]


class RecordingSender:
    """The FinTS stand-in: remembers what it was given and answers as told."""

    def __init__(self, result: SendResult) -> None:
        self.result = result
        self.calls: list[tuple[str, bytes, dict[str, object]]] = []

    def send_transfers(self, account_iban: str, pain_xml: bytes, **kwargs: object) -> SendResult:
        self.calls.append((account_iban, pain_xml, kwargs))
        return self.result

    def send_debits(self, account_iban: str, pain_xml: bytes, **kwargs: object) -> SendResult:
        raise AssertionError("no debits here")


def test_send_run_hands_the_validated_document_to_the_sender(ledger: Ledger) -> None:
    run_id = _run(ledger)
    sender = RecordingSender(SendResult(ok=True, reference="TASK-1"))
    _protocol: RunSender = sender
    with pytest.raises(PaymentError, match="only approved"):
        send_run(ledger, run_id, sender=sender, actor="bob")
    _approve(ledger, run_id, "bob")
    assert send_run(ledger, run_id, sender=sender, actor="bob").ok
    [(iban, xml, options)] = sender.calls
    assert options["control_sum"] == Decimal("2600.00") and options["multiple"] is True
    assert options["pain_descriptor"] == "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
    assert b"<CtrlSum>2600.00</CtrlSum>" in xml
    row = run_row(ledger, run_id)
    assert (row.status, row.sent_via) == ("sent", "fints")

    refused = _run(ledger, amount="1")
    _approve(ledger, refused, "carla")
    send_run(ledger, refused, sender=RecordingSender(SendResult(ok=False, message="9120 Limit überschritten")),
             actor="carla")  # fmt: skip
    assert (run_row(ledger, refused).status, run_row(ledger, refused).status_reason) == (
        "failed", "9120 Limit überschritten"
    )  # fmt: skip
