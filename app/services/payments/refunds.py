"""A payment that should not have come (a double payment) sent back to who paid it, as a transfer to approve."""

from __future__ import annotations

from datetime import date

from app.models.banking import BookingStatus, Reconciliation
from app.models.schema import BankAccount
from app.services.formatting import format_date, from_cents
from app.services.i18n import _
from app.services.ledger.database import Ledger
from app.services.payments.orders import OrderResult, create_transfer
from app.services.reconciliation.allocations import ignore_payment
from app.services.reconciliation.booking import ReconciliationError, allocated_on_transaction, get_transaction


def refund_payment(ledger: Ledger, transaction_id: int, *, actor: str, today: date | None = None) -> OrderResult:
    """A transfer of the whole payment back to its payer's account, from the account it came in on, into the draft
    run (four-eyes approval as for any transfer); the payment is then marked "no invoice: refunded"."""
    with ledger.session() as session:
        tx = get_transaction(session, transaction_id)
        if tx.amount_cents <= 0 or tx.status != BookingStatus.BOOKED or tx.reconciliation == Reconciliation.IGNORED:
            raise ReconciliationError(_("Only a booked incoming payment can be refunded."))
        if allocated_on_transaction(session, tx.id):
            raise ReconciliationError(_("Undo the allocations of this transaction first."))
        if not tx.counterparty_iban:
            raise ReconciliationError(_("The payment names no account to send it back to."))
        account = session.get(BankAccount, tx.account_id)
        assert account is not None
        name, iban, account_iban = tx.counterparty_name, tx.counterparty_iban, account.iban
        amount, booked_on = from_cents(tx.amount_cents), tx.booked_on
    text = _("Refund of your payment of {date}").format(date=format_date(booked_on, language="de"))
    order = create_transfer(
        ledger, name=name or iban, iban=iban, amount=amount, text=text, account_iban=account_iban, actor=actor,
        today=today,
    )  # fmt: skip
    ignore_payment(ledger, transaction_id, _("refunded (order {id})").format(id=order.order_id), actor=actor)
    return order
