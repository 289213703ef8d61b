"""Four-eyes approval of payment runs: the summary an approver sees, and the approval by a signed-in approver."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from app.models.payments import RunStatus
from app.models.schema import Approval, BankAccount, PaymentRun, User
from app.services.formatting import format_amount, from_cents
from app.services.i18n import _
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.users import SignedInUser, signed_in_user
from app.services.payments.orders import PaymentWarning, order_warnings
from app.services.payments.runs import OrderRow, get_run, lock_run, order_rows, orders_of, run_digest, valid_approvals
from app.services.payments.sepa_checks import PaymentError
from app.services.payments.settings import PaymentConfig, payment_config
from app.services.statements.balances import accounts_overview

APPROVER_ROLES = ("approver", "admin")


@dataclass(frozen=True, slots=True)
class ApprovalSummary:
    """What the approval dialog shows; `digest` goes back into `approve_run` to prove what was seen."""

    run_id: int
    kind: str
    scheme: str
    status: str
    account_iban: str
    execution_on: date
    instant: bool
    count: int
    total: Decimal
    orders: tuple[OrderRow, ...]
    warnings: tuple[PaymentWarning, ...]
    digest: str
    created_by: str
    approved_by: tuple[str, ...]
    needed: str  # what is still missing, '' when approved
    balance: Decimal | None = None  # the paying (or collecting) account's balance now, None without any record
    account_name: str = ""

    @property
    def balance_after(self) -> Decimal | None:
        """The balance once the run is booked: transfers take the total, debits bring it."""
        if self.balance is None:
            return None
        return self.balance - self.total if self.kind == "transfer" else self.balance + self.total


@dataclass(frozen=True, slots=True)
class ApprovalResult:
    run_id: int
    approved: bool
    approved_by: tuple[str, ...]
    message: str


def _approvers(session: Session, run: PaymentRun) -> list[User]:
    users = []
    for approval in valid_approvals(session, run):
        user = session.get(User, approval.user_id)
        assert user is not None
        users.append(user)
    return users


def _missing(config: PaymentConfig, approvers: list[User], total: Decimal) -> str:
    """'' if the approvals suffice: one approver within their limit, or two approvers above it."""
    names = {user.name for user in approvers}
    if len(names) >= 2:
        return ""
    for name in names:
        limit = config.approval_limit(name)
        if limit is None or total <= limit:
            return ""
    if names:
        return _("{total} is above the limit of {name}; a second approver is needed.").format(
            total=format_amount(total), name=", ".join(sorted(names))
        )
    return _("an approver")


def _creators(session: Session, run: PaymentRun) -> set[str]:
    return {run.created_by} | {order.created_by for order in orders_of(session, run.id) if order.created_by}


def _summary(session: Session, run: PaymentRun, today: date) -> ApprovalSummary:
    orders = orders_of(session, run.id)
    total = from_cents(sum(order.amount_cents for order in orders))
    approvers = _approvers(session, run)
    account = session.get(BankAccount, run.account_id)
    assert account is not None
    return ApprovalSummary(
        run_id=run.id,
        kind=run.kind,
        scheme=run.scheme,
        status=run.status,
        account_iban=account.iban,
        execution_on=run.execution_on,
        instant=run.instant,
        count=len(orders),
        total=total,
        orders=tuple(order_rows(session, run.id)),
        warnings=tuple(order_warnings(session, run, orders, today=today)),
        digest=run_digest(session, run),
        created_by=run.created_by,
        approved_by=tuple(user.name for user in approvers),
        needed="" if run.status == RunStatus.APPROVED else _missing(payment_config(session), approvers, total),
        balance=next((a.balance for a in accounts_overview(session) if a.account_id == account.id), None),
        account_name=account.name,
    )


def approval_summary(ledger: Ledger, run_id: int, *, today: date | None = None) -> ApprovalSummary:
    """Count, total, every recipient and the warnings (first-time, changed IBAN, unusual amount, duplicate)."""
    with ledger.session() as session:
        return _summary(session, get_run(session, run_id), today or date.today())


def approve_run(
    ledger: Ledger,
    run_id: int,
    *,
    approver: SignedInUser,
    seen_digest: str | None = None,
) -> ApprovalResult:
    """Approve as a signed-in approver; creators cannot, limits may need a second approver. One transaction.

    `seen_digest` is the summary's digest: if the run changed since the approver looked, the approval is refused.
    """
    with ledger.writer() as session:
        user = signed_in_user(session, approver)
        lock_run(session, run_id)
        run = get_run(session, run_id)
        if user.role not in APPROVER_ROLES:
            raise PaymentError(
                "user", _("{name} is a {role} and may not approve payments.").format(name=user.name, role=user.role)
            )
        if run.status != RunStatus.SUBMITTED:
            raise PaymentError(
                "run", _("Run {id} is {status}; only submitted runs are approved.").format(id=run.id, status=run.status)
            )
        if user.name in _creators(session, run):
            raise PaymentError(
                "user", _("{name} created (part of) run {id} and cannot approve it.").format(name=user.name, id=run.id)
            )
        digest = run_digest(session, run)
        if seen_digest is not None and seen_digest != digest:
            raise PaymentError("run", _("Run {id} changed since you looked at it; review it again.").format(id=run.id))
        approvers = _approvers(session, run)
        if any(approver.id == user.id for approver in approvers):
            raise PaymentError("user", _("{name} approved run {id} already.").format(name=user.name, id=run.id))
        approval = Approval(run_id=run.id, user_id=user.id, digest=digest)
        session.add(approval)
        audit.record_row(
            session,
            actor=user.name,
            action="approve",
            row=approval,
            summary=f"run {run.id} approved by {user.name}, content {digest}",
        )
        approvers.append(user)
        total = from_cents(sum(order.amount_cents for order in orders_of(session, run.id)))
        missing = _missing(payment_config(session), approvers, total)
        names = tuple(approver.name for approver in approvers)
        if missing:
            return ApprovalResult(run.id, False, names, missing)
        run.status = RunStatus.APPROVED
        run.status_reason = ""
        audit.record_row(
            session,
            actor=user.name,
            action="update",
            row=run,
            summary=f"run {run.id}: submitted -> approved by {', '.join(names)}",
        )
        return ApprovalResult(run.id, True, names, _("Run {id} is approved.").format(id=run.id))
