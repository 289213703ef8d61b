"""What the bank's verification of payee said about each order, in words for the approver.

The results are written by the FinTS sender (`banking.send`) at each attempt to send a run; the latest per order
is what `kontor run show` and the approval dialog show (and `orders.take_bank_name` acts on).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.schema import PayeeCheckResult
from app.services.i18n import _
from app.services.payments.payee_words import result_text


@dataclass(frozen=True, slots=True)
class PayeeCheckView:
    """The latest check of one order, in the user's language."""

    order_id: int
    result: str
    bank_name: str
    text: str


def _view(row: PayeeCheckResult) -> PayeeCheckView:
    if row.result == "RCVC" and not row.decision:
        text = _("Payee check: the name matches the account holder.")
    else:
        text = _("Payee check: {result}").format(
            result=result_text(row.result, bank_name=row.bank_name, reason=row.reason)
        )
    if row.decision == "confirmed":
        text += " " + _("{name} sent it anyway.").format(name=row.decided_by)
    elif row.decision == "declined":
        text += " " + _("{name} stopped it.").format(name=row.decided_by)
    return PayeeCheckView(row.order_id, row.result, row.bank_name, text)


def latest_checks(session: Session, order_ids: Iterable[int]) -> dict[int, PayeeCheckView]:
    """The most recent check of each order that has one."""
    wanted = list(order_ids)
    rows = session.scalars(
        select(PayeeCheckResult).where(PayeeCheckResult.order_id.in_(wanted)).order_by(PayeeCheckResult.id)
    )
    return {row.order_id: _view(row) for row in rows}  # later rows replace earlier ones
