"""A supplier's new bank account, confirmed: after the approver called the supplier (at a number they already had)
and heard that the account an invoice names is theirs, it becomes the account on record, and the fraud warning of
later invoices to it stops.

Only an approver other than whoever created the order may confirm it: the warning is there for the second pair of
eyes, so the first pair cannot take it away."""

from __future__ import annotations

from app.models.schema import Customer, Invoice, PaymentOrder
from app.services.formatting import grouped_iban
from app.services.i18n import _
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.users import check_role
from app.services.payments.approvals import APPROVER_ROLES
from app.services.payments.invoice_terms import invoice_document
from app.services.payments.sepa_checks import PaymentError, normalize_iban


def confirm_payee_account(ledger: Ledger, order_id: int, *, actor: str) -> str:
    """Make the account of an order for an e-invoice its supplier's account on record; returns the supplier's name.

    Refused unless the order pays a supplier's invoice to the account that invoice names, and that differs from
    the one on record."""
    with ledger.writer() as session:
        check_role(session, actor, roles=APPROVER_ROLES)
        order = session.get(PaymentOrder, order_id)
        if order is None:
            raise PaymentError("order", _("No payment order {id}.").format(id=order_id))
        if order.created_by == actor:
            raise PaymentError(
                "order", _("{name} created this order; another approver confirms its new account.").format(name=actor)
            )
        invoice = session.get(Invoice, order.invoice_id) if order.invoice_id is not None else None
        supplier = session.get(Customer, invoice.customer_id) if invoice is not None else None
        document = invoice_document(session, invoice.id) if invoice is not None else None
        named = normalize_iban(document.payee_iban) if document is not None else ""
        if supplier is None or not named or normalize_iban(order.iban) != named:
            raise PaymentError("order", _("Order {id} does not pay the account an invoice names.").format(id=order_id))
        if normalize_iban(supplier.iban) == named:
            raise PaymentError(
                "order", _("{iban} is already {name}'s account.").format(iban=grouped_iban(named), name=supplier.name)
            )
        old = supplier.iban
        supplier.iban = named
        audit.record_row(
            session,
            actor=actor,
            action="update",
            row=supplier,
            summary=f"account {old or '-'} -> {named} confirmed for invoice {invoice.number if invoice else ''}",
        )
        return supplier.name
