"""Payment runs: grouping orders, the state machine (draft → submitted → approved → sent → booked), export and send.

A run's content digest covers its header and every order; approvals are given to a digest, so any change after
approval voids them. Every function that takes a `Ledger` is one ledger transaction and blocks; call it from a
worker. `send_run` holds no transaction while the bank (and the TAN prompt) takes its time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.banking import BookingStatus, Reconciliation
from app.models.payments import RunStatus
from app.models.schema import (
    Allocation,
    Approval,
    BankAccount,
    Invoice,
    Mandate,
    Notification,
    PaymentOrder,
    PaymentRun,
    Transaction,
)
from app.services.formatting import format_amount, format_date, from_cents, to_cents
from app.services.i18n import N_, _
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.dialects import id_chunks
from app.services.ledger.users import check_actor
from app.services.payments.business_days import add_business_days, is_business_day
from app.services.payments.invoice_terms import invoice_document, skonto_on
from app.services.payments.mandates import record_collection
from app.services.payments.pain import PainDocument, PainOrder, PainParty, build_pain, write_atomically
from app.services.payments.payee_checks import latest_checks
from app.services.payments.sepa_checks import PaymentError, normalize_iban, resolve_bic, transliterate
from app.services.payments.settings import company, payment_config
from app.services.reconciliation.automatic import after_statement_import as reconciliation_hook
from app.services.reconciliation.engine_input import engine_invoices
from app.services.statements.importing import AfterImport

RUN_STATUS_LABELS: dict[str, str] = {
    RunStatus.DRAFT: N_("draft"),
    RunStatus.SUBMITTED: N_("submitted"),
    RunStatus.APPROVED: N_("approved"),
    RunStatus.SENT: N_("sent"),
    RunStatus.BOOKED: N_("booked"),
    RunStatus.REJECTED: N_("rejected"),
    RunStatus.FAILED: N_("failed"),
}


def status_text(status: str) -> str:
    """A run's status as a word of the user's language, for sentences and tables."""
    return _(RUN_STATUS_LABELS.get(status, status))


OPEN_STATUSES = (RunStatus.DRAFT, RunStatus.SUBMITTED, RunStatus.APPROVED)  # orders may still change
LIVE_STATUSES = (*OPEN_STATUSES, RunStatus.SENT, RunStatus.BOOKED)  # counted for duplicates


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the bank said: `ok` with its reference, or the reason it refused the order."""

    ok: bool
    reference: str = ""
    message: str = ""


class RunSender(Protocol):
    """Hands an approved run's pain document to the bank (FinTS: sepa_transfer / sepa_debit with TAN). Blocks."""

    def send_transfers(
        self,
        account_iban: str,
        pain_xml: bytes,
        *,
        multiple: bool,
        control_sum: Decimal,
        instant: bool,
        pain_descriptor: str,
    ) -> SendResult: ...

    def send_debits(
        self,
        account_iban: str,
        pain_xml: bytes,
        *,
        multiple: bool,
        control_sum: Decimal,
        scheme: str,
        pain_descriptor: str,
    ) -> SendResult: ...


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    kind: str
    scheme: str
    status: str
    status_reason: str
    account_iban: str
    execution_on: date
    instant: bool
    count: int
    total: Decimal
    created_by: str
    created_at: datetime
    sent_at: datetime | None
    sent_via: str


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: int
    run_id: int
    name: str
    iban: str
    bic: str
    amount: Decimal
    remittance: str
    end_to_end_id: str
    invoice_number: str
    sequence: str
    mandate_reference: str
    booked: bool
    created_by: str
    payee_check: str = ""  # the bank's latest verification-of-payee code (RCVC, RVMC, …), '' before any
    payee_check_text: str = ""
    payee_bank_name: str = ""  # the holder's name the bank gave on a close match


@dataclass(frozen=True, slots=True)
class ExportResult:
    run_id: int
    path: Path
    schema: str
    count: int
    total: Decimal


# -- reading -------------------------------------------------------------------------------------------------


def get_run(session: Session, run_id: int) -> PaymentRun:
    run = session.get(PaymentRun, run_id)
    if run is None:
        raise PaymentError("run", _("No payment run {id}.").format(id=run_id))
    return run


def lock_run(session: Session, run_id: int) -> None:
    """Hold the run's row until the transaction ends (SELECT … FOR UPDATE on a server ledger; the file ledger's
    write lock already does): an approval and a change of the same run never overlap."""
    session.execute(select(PaymentRun.id).where(PaymentRun.id == run_id).with_for_update())


def orders_of(session: Session, run_id: int) -> list[PaymentOrder]:
    return list(session.scalars(select(PaymentOrder).where(PaymentOrder.run_id == run_id).order_by(PaymentOrder.id)))


def run_digest(session: Session, run: PaymentRun) -> str:
    """Canonical SHA-256 of what would be paid: the header and every order, independent of row order."""
    account = session.get(BankAccount, run.account_id)
    assert account is not None
    orders = sorted(
        [
            order.end_to_end_id,
            order.name,
            order.iban,
            order.bic,
            order.amount_cents,
            order.remittance,
            order.sequence,
            order.mandate_id,
            order.invoice_id,
        ]
        for order in orders_of(session, run.id)
    )
    header = [run.kind, run.scheme, account.iban, run.execution_on, run.instant]
    return audit.digest({"run": header, "orders": orders})


def _run_row(session: Session, run: PaymentRun) -> RunRow:
    count, cents = session.execute(
        select(func.count(PaymentOrder.id), func.coalesce(func.sum(PaymentOrder.amount_cents), 0)).where(
            PaymentOrder.run_id == run.id
        )
    ).one()
    account = session.get(BankAccount, run.account_id)
    assert account is not None
    return RunRow(
        id=run.id,
        kind=run.kind,
        scheme=run.scheme,
        status=run.status,
        status_reason=run.status_reason,
        account_iban=account.iban,
        execution_on=run.execution_on,
        instant=run.instant,
        count=count,
        total=from_cents(cents),
        created_by=run.created_by,
        created_at=run.created_at,
        sent_at=run.sent_at,
        sent_via=run.sent_via,
    )


def list_runs(ledger: Ledger, *, status: str | None = None) -> list[RunRow]:
    """Runs for the payments view, newest first."""
    with ledger.session() as session:
        query = select(PaymentRun).order_by(PaymentRun.id.desc())
        if status is not None:
            query = query.where(PaymentRun.status == status)
        return [_run_row(session, run) for run in session.scalars(query)]


def run_row(ledger: Ledger, run_id: int) -> RunRow:
    with ledger.session() as session:
        return _run_row(session, get_run(session, run_id))


def order_rows(session: Session, run_id: int) -> list[OrderRow]:
    rows = []
    orders = orders_of(session, run_id)
    checks = latest_checks(session, [order.id for order in orders])
    for order in orders:
        invoice = session.get(Invoice, order.invoice_id) if order.invoice_id else None
        mandate = session.get(Mandate, order.mandate_id) if order.mandate_id else None
        rows.append(
            OrderRow(
                id=order.id,
                run_id=order.run_id,
                name=order.name,
                iban=order.iban,
                bic=order.bic,
                amount=from_cents(order.amount_cents),
                remittance=order.remittance,
                end_to_end_id=order.end_to_end_id,
                invoice_number=invoice.number if invoice else "",
                sequence=order.sequence,
                mandate_reference=mandate.reference if mandate else "",
                booked=order.transaction_id is not None,
                created_by=order.created_by,
                payee_check=checks[order.id].result if order.id in checks else "",
                payee_check_text=checks[order.id].text if order.id in checks else "",
                payee_bank_name=checks[order.id].bank_name if order.id in checks else "",
            )
        )
    return rows


def run_orders(ledger: Ledger, run_id: int) -> list[OrderRow]:
    with ledger.session() as session:
        get_run(session, run_id)
        return order_rows(session, run_id)


# -- state changes -------------------------------------------------------------------------------------------


def _set_status(session: Session, run: PaymentRun, status: str, *, actor: str, reason: str = "") -> None:
    before = run.status
    run.status = status
    run.status_reason = reason
    summary = f"run {run.id}: {before} -> {status}" + (f" ({reason})" if reason else "")
    audit.record_row(session, actor=actor, action="update", row=run, summary=summary)


def valid_approvals(session: Session, run: PaymentRun) -> list[Approval]:
    """Approvals still standing: not voided and given to the run's current content."""
    digest = run_digest(session, run)
    return [
        approval
        for approval in session.scalars(
            select(Approval).where(Approval.run_id == run.id, Approval.void.is_(False)).order_by(Approval.id)
        )
        if approval.digest == digest
    ]


def before_change(session: Session, run: PaymentRun, *, actor: str, what: str) -> None:
    """Call before changing a run's orders: sent runs refuse, approvals are voided and the run goes back."""
    lock_run(session, run.id)
    check_actor(session, actor)
    if run.status not in OPEN_STATUSES:
        raise PaymentError(
            "run",
            _("Run {id} is {status} and can no longer be changed.").format(id=run.id, status=status_text(run.status)),
        )
    for approval in session.scalars(select(Approval).where(Approval.run_id == run.id, Approval.void.is_(False))):
        approval.void = True
        audit.record_row(
            session, actor=actor, action="update", row=approval, summary=f"approval voided by change: {what}"
        )
    if run.status == RunStatus.APPROVED:
        _set_status(
            session, run, RunStatus.SUBMITTED, actor=actor, reason=_("changed after approval: {what}").format(what=what)
        )


def draft_run(
    session: Session,
    *,
    kind: str,
    account: BankAccount,
    execution_on: date,
    actor: str,
    scheme: str = "",
    instant: bool = False,
) -> PaymentRun:
    """The open draft for this account, kind, scheme and date, or a new one: a run is one pain payment group."""
    check_actor(session, actor)
    run = session.scalar(
        select(PaymentRun)
        .where(
            PaymentRun.status == RunStatus.DRAFT,
            PaymentRun.kind == kind,
            PaymentRun.scheme == scheme,
            PaymentRun.account_id == account.id,
            PaymentRun.execution_on == execution_on,
            PaymentRun.instant.is_(instant),
        )
        .order_by(PaymentRun.id)
        .limit(1)
    )
    if run is not None:
        return run
    run = PaymentRun(
        kind=kind, scheme=scheme, account_id=account.id, execution_on=execution_on, instant=instant, created_by=actor
    )
    session.add(run)
    audit.record_row(session, actor=actor, action="create", row=run, summary=f"{kind} run for {execution_on}")
    return run


def submit_run(ledger: Ledger, run_id: int, *, actor: str, today: date | None = None) -> RunRow:
    """Hand a draft to the approvers; its date must still be a business day from today on."""
    today = today or date.today()
    with ledger.writer() as session:
        check_actor(session, actor)
        run = get_run(session, run_id)
        if run.status != RunStatus.DRAFT:
            raise PaymentError(
                "run", _("Run {id} is {status}, not a draft.").format(id=run.id, status=status_text(run.status))
            )
        if not orders_of(session, run.id):
            raise PaymentError("run", _("Run {id} has no orders.").format(id=run.id))
        _check_date(run.execution_on, today)
        _set_status(session, run, RunStatus.SUBMITTED, actor=actor)
        return _run_row(session, run)


def _check_date(execution_on: date, today: date) -> None:
    if execution_on < today:
        raise PaymentError(
            "date", _("The execution date {date} has passed; choose a new one.").format(date=execution_on)
        )
    if not is_business_day(execution_on):
        raise PaymentError("date", _("{date} is no TARGET2 business day.").format(date=execution_on))


def reschedule_run(ledger: Ledger, run_id: int, execution_on: date, *, actor: str, today: date | None = None) -> RunRow:
    """Move a run to another execution date (a change: approvals are voided)."""
    _check_date(execution_on, today or date.today())
    with ledger.writer() as session:
        run = get_run(session, run_id)
        before_change(session, run, actor=actor, what=f"date {run.execution_on} -> {execution_on}")
        run.execution_on = execution_on
        audit.record_row(session, actor=actor, action="update", row=run, summary=f"run {run.id} rescheduled")
        return _run_row(session, run)


def reject_run(ledger: Ledger, run_id: int, *, reason: str, actor: str) -> RunRow:
    """An approver refuses the run; its orders are free to be paid in another run."""
    if not reason.strip():
        raise PaymentError("reason", _("Say why the run is rejected."))
    with ledger.writer() as session:
        check_actor(session, actor)
        run = get_run(session, run_id)
        if run.status not in OPEN_STATUSES:
            raise PaymentError(
                "run",
                _("Run {id} is {status} and cannot be rejected.").format(id=run.id, status=status_text(run.status)),
            )
        _set_status(session, run, RunStatus.REJECTED, actor=actor, reason=reason.strip())
        return _run_row(session, run)


# -- export and send -----------------------------------------------------------------------------------------


def _ready(session: Session, run: PaymentRun) -> None:
    if run.status != RunStatus.APPROVED:
        raise PaymentError(
            "run",
            _("Run {id} is {status}; only approved runs are paid.").format(id=run.id, status=status_text(run.status)),
        )
    if not valid_approvals(session, run):
        raise PaymentError("run", _("Run {id} changed since it was approved.").format(id=run.id))


def pain_document(session: Session, run: PaymentRun, *, schema: str | None = None) -> PainDocument:
    """The run as a pain document in the configured (or given) version."""
    config = payment_config(session)
    settings = company(session)
    account = session.get(BankAccount, run.account_id)
    assert account is not None
    orders = []
    for order in orders_of(session, run.id):
        mandate = session.get(Mandate, order.mandate_id) if order.mandate_id else None
        orders.append(
            PainOrder(
                name=order.name,
                iban=order.iban,
                bic=order.bic,
                amount_cents=order.amount_cents,
                remittance=order.remittance,
                end_to_end_id=order.end_to_end_id,
                mandate_reference=mandate.reference if mandate else "",
                mandate_signed_on=mandate.signed_on if mandate else None,
                sequence=order.sequence,
                original_reference=mandate.original_reference if mandate else "",
                original_debtor_iban=mandate.original_debtor_iban if mandate else "",
            )
        )
    holder = transliterate(account.owner or settings.name)[:70]
    return PainDocument(
        kind=run.kind,
        schema=schema or (config.transfer_schema if run.kind == "transfer" else config.debit_schema),
        account=PainParty(holder, account.iban, resolve_bic(account.iban, account.bic, field="from_account")),
        execution_on=run.execution_on,
        orders=orders,
        instant=run.instant,
        scheme=run.scheme or "CORE",
        creditor_id=settings.creditor_id,
    )


def _mark_sent(session: Session, run: PaymentRun, *, via: str, reference: str, actor: str, xml: bytes) -> None:
    for order in orders_of(session, run.id):
        if order.mandate_id is not None:
            mandate = session.get(Mandate, order.mandate_id)
            assert mandate is not None
            record_collection(session, mandate, sequence=order.sequence, collected_on=run.execution_on, actor=actor)
    run.sent_at = datetime.now().replace(microsecond=0)
    run.sent_via = via
    run.bank_reference = reference
    _set_status(session, run, RunStatus.SENT, actor=actor, reason="")
    audit.record(
        session,
        actor=actor,
        action="send",
        entity="payment_document",
        entity_id=run.id,
        data={"content": run_digest(session, run), "document": audit.digest(xml.decode())},
        summary=f"run {run.id} sent via {via}",
    )


def export_run(ledger: Ledger, run_id: int, out_path: Path, *, actor: str, schema: str | None = None) -> ExportResult:
    """Write an approved run as a validated pain file (atomically) and mark it sent via file."""
    with ledger.writer() as session:
        check_actor(session, actor)
        run = get_run(session, run_id)
        _ready(session, run)
        document = pain_document(session, run, schema=schema)
        xml = build_pain(document)
        _mark_sent(session, run, via="file", reference=str(out_path), actor=actor, xml=xml)
        path = write_atomically(Path(out_path), xml)
        total = sum(order.amount_cents for order in document.orders)
        return ExportResult(run.id, path, document.schema, len(document.orders), from_cents(total))


def send_run(ledger: Ledger, run_id: int, *, sender: RunSender, actor: str) -> SendResult:
    """Send an approved run through the bank; a refusal marks it failed with the bank's reason. Blocks (TANs).

    If the sender raises (cancelled TAN, network), nothing was sent and the run stays approved.
    """
    with ledger.session() as session:
        check_actor(session, actor)
        run = get_run(session, run_id)
        _ready(session, run)
        document = pain_document(session, run)
        xml = build_pain(document)
        digest = run_digest(session, run)
    control_sum = from_cents(sum(order.amount_cents for order in document.orders))
    multiple = len(document.orders) > 1
    if document.kind == "transfer":
        result = sender.send_transfers(
            document.account.iban,
            xml,
            multiple=multiple,
            control_sum=control_sum,
            instant=document.instant,
            pain_descriptor=document.descriptor,
        )
    else:
        result = sender.send_debits(
            document.account.iban,
            xml,
            multiple=multiple,
            control_sum=control_sum,
            scheme=document.scheme,
            pain_descriptor=document.descriptor,
        )
    with ledger.writer() as session:
        run = get_run(session, run_id)
        if run_digest(session, run) != digest:  # changed while the bank was busy: record what the bank got
            audit.record(
                session,
                actor=actor,
                action="warning",
                entity="payment_runs",
                entity_id=run.id,
                data=digest,
                summary=f"run {run.id} changed while it was being sent",
            )
        if result.ok:
            _mark_sent(session, run, via="fints", reference=result.reference, actor=actor, xml=xml)
        else:
            _set_status(session, run, RunStatus.FAILED, actor=actor, reason=result.message or _("refused by the bank"))
    return result


def mark_failed(ledger: Ledger, run_id: int, *, reason: str, actor: str) -> RunRow:
    """A sent run the bank refused later (a rejection report, a returned file)."""
    with ledger.writer() as session:
        run = get_run(session, run_id)
        if run.status != RunStatus.SENT:
            raise PaymentError(
                "run",
                _("Only a sent run can fail; run {id} is {status}.").format(id=run.id, status=status_text(run.status)),
            )
        _set_status(session, run, RunStatus.FAILED, actor=actor, reason=reason)
        return _run_row(session, run)


# -- bookings ------------------------------------------------------------------------------------------------


def match_booked_orders(session: Session, transaction_ids: Sequence[int], *, actor: str) -> list[int]:
    """Link new bookings to sent orders by end-to-end ID, amount and IBAN; pay their invoices; book full runs.

    Runs in the caller's transaction, after the statement import committed. Returns the matched order ids.
    """
    transactions = [
        tx
        for chunk in id_chunks(list(transaction_ids))
        for tx in session.scalars(
            select(Transaction).where(
                Transaction.id.in_(chunk),
                Transaction.status == BookingStatus.BOOKED,
                Transaction.end_to_end_id.not_in(("", "NOTPROVIDED")),
            )
        )
    ]
    if not transactions:
        return []
    candidates = {
        order.end_to_end_id: order
        for order in session.scalars(
            select(PaymentOrder)
            .join(PaymentRun, PaymentRun.id == PaymentOrder.run_id)
            .where(
                PaymentRun.status == RunStatus.SENT,
                PaymentOrder.transaction_id.is_(None),
                PaymentOrder.end_to_end_id.in_([tx.end_to_end_id for tx in transactions]),
            )
        )
    }
    matched, runs = [], set()
    for tx in transactions:
        order = candidates.get(tx.end_to_end_id)
        if order is None or order.transaction_id is not None:
            continue
        run = get_run(session, order.run_id)
        sign = -1 if run.kind == "transfer" else 1
        if tx.amount_cents != sign * order.amount_cents:
            continue
        if tx.counterparty_iban and normalize_iban(tx.counterparty_iban) != order.iban:
            continue
        order.transaction_id = tx.id
        audit.record_row(
            session,
            actor=actor,
            action="update",
            row=order,
            summary=f"order {order.end_to_end_id} booked as transaction {tx.id}",
        )
        if order.invoice_id is not None:
            _pay_invoice(session, tx, order, actor=actor)
        matched.append(order.id)
        runs.add(run.id)
    for run_id in sorted(runs):
        run = get_run(session, run_id)
        if all(order.transaction_id is not None for order in orders_of(session, run_id)):
            _set_status(session, run, RunStatus.BOOKED, actor=actor)
    return matched


def _pay_invoice(session: Session, tx: Transaction, order: PaymentOrder, *, actor: str) -> None:
    """Allocate the booking to the order's invoice, unless automatic matching did so already."""
    assert order.invoice_id is not None
    invoices = engine_invoices(session, [order.invoice_id])
    allocated_on_tx = (
        session.scalar(
            select(func.coalesce(func.sum(Allocation.amount_cents), 0)).where(Allocation.transaction_id == tx.id)
        )
        or 0
    )
    if not invoices:
        return
    open_cents = to_cents(invoices[0].open_amount)
    cents = min(order.amount_cents, open_cents, abs(tx.amount_cents) - allocated_on_tx)
    if cents <= 0:
        return
    allocation = Allocation(
        transaction_id=tx.id,
        invoice_id=order.invoice_id,
        amount_cents=cents,
        discount_cents=_skonto_taken(session, order, open_cents - cents),
        method="auto",
        created_by=actor,
    )
    session.add(allocation)
    summary = f"{invoices[0].number} paid by order {order.end_to_end_id} {format_amount(from_cents(cents))}"
    audit.record_row(session, actor=actor, action="create", row=allocation, summary=summary)
    tx.reconciliation = (
        Reconciliation.MATCHED if allocated_on_tx + cents >= abs(tx.amount_cents) else Reconciliation.PARTIAL
    )


def _skonto_taken(session: Session, order: PaymentOrder, short_cents: int) -> int:
    """The shortfall, when it is exactly the Skonto the invoice granted on the order's execution day."""
    invoice = session.get(Invoice, order.invoice_id)
    if short_cents <= 0 or invoice is None:
        return 0
    offer = skonto_on(invoice, invoice_document(session, invoice.id), get_run(session, order.run_id).execution_on)
    return short_cents if offer is not None and offer.cents == short_cents else 0


def after_statement_import(actor: str) -> AfterImport:
    """The import hook: bookings of our own orders first (exact by end-to-end ID), then the matching engine.

    Each step runs only when there is something to find: a sent order not yet booked, an invoice.
    """
    matching = reconciliation_hook(actor)

    def hook(ledger: Ledger, transaction_ids: list[int]) -> None:
        with ledger.writer() as session:
            if session.scalar(select(_UNBOOKED_SENT_ORDER.exists())):
                match_booked_orders(session, transaction_ids, actor=actor)
                notify_unbooked_orders(session)
        matching(ledger, transaction_ids)

    return hook


UNBOOKED_AFTER_BUSINESS_DAYS = 3  # SEPA credit transfers settle in one business day; three leaves room for statements
UNBOOKED_KIND = "order_unbooked"


def notify_unbooked_orders(session: Session) -> list[int]:
    """A notification, once per order, for a sent order missing from statements that reach three business days
    past its execution date (statements that stop earlier prove nothing yet).

    Such an order may have been refused by the bank after sending, or be stuck; the bookkeeper should look in the
    online banking before anyone pays it again. Returns the ids of the orders notified now.
    """
    overdue = session.execute(
        select(PaymentOrder.id, PaymentOrder.end_to_end_id, PaymentOrder.name, PaymentOrder.amount_cents, PaymentRun)
        .join(PaymentRun, PaymentRun.id == PaymentOrder.run_id)
        .where(PaymentRun.status == RunStatus.SENT, PaymentOrder.transaction_id.is_(None))
    ).all()
    told = set(session.scalars(select(Notification.message).where(Notification.kind == UNBOOKED_KIND)))
    covered: dict[int, date | None] = {}
    notified = []
    for order_id, end_to_end_id, name, cents, run in overdue:
        if run.account_id not in covered:
            covered[run.account_id] = session.scalar(
                select(func.max(Transaction.booked_on)).where(Transaction.account_id == run.account_id)
            )
        until = covered[run.account_id]
        if until is None or until < add_business_days(run.execution_on, UNBOOKED_AFTER_BUSINESS_DAYS):
            continue
        if any(end_to_end_id in message for message in told):
            continue
        message = _(
            "Order {e2e} of run {run} to {name} over {amount}, executed on {date}, is not in any statement yet. "
            "Check in your online banking whether the bank carried it out before paying it again."
        ).format(
            e2e=end_to_end_id,
            run=run.id,
            name=name,
            amount=format_amount(from_cents(cents)),
            date=format_date(run.execution_on),
        )
        session.add(Notification(kind=UNBOOKED_KIND, message=message))
        notified.append(order_id)
    return notified


_UNBOOKED_SENT_ORDER = (
    select(PaymentOrder.id)
    .join(PaymentRun, PaymentRun.id == PaymentOrder.run_id)
    .where(PaymentRun.status == RunStatus.SENT, PaymentOrder.transaction_id.is_(None))
)
