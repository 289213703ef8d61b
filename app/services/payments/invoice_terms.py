"""What an e-invoice asks of its payment: the account to pay to, the Skonto still to be had, or nothing, because
the seller collects by direct debit.

A transfer for a payable goes to the account the invoice names; when that differs from the supplier's account
on record, the approver is warned, because a changed bank account in an invoice is how invoice fraud works.
With Skonto open, the transfer proposes the discounted amount on the last business day the Skonto allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.schema import Customer, Invoice, InvoiceDocument
from app.services.formatting import format_cents, format_date, format_percent, grouped_iban
from app.services.i18n import _
from app.services.invoices.skonto import SkontoOffer, best_offer, parse_tiers
from app.services.payments.business_days import is_business_day, next_business_day
from app.services.payments.sepa_checks import normalize_iban


@dataclass(frozen=True, slots=True)
class SkontoPayment:
    """A transfer that takes the Skonto: this amount, executed on this day."""

    amount_cents: int
    execution_on: date
    offer: SkontoOffer

    def remark(self) -> str:
        return _("Skonto of {percent} ({amount}) deducted; paid on {date}, the last day it allows.").format(
            percent=format_percent(self.offer.percent),
            amount=format_cents(self.offer.cents),
            date=format_date(self.execution_on),
        )


def invoice_document(session: Session, invoice_id: int) -> InvoiceDocument | None:
    """The e-invoice an invoice came from (None for a CSV import); read once per order by the caller."""
    return session.scalar(select(InvoiceDocument).where(InvoiceDocument.invoice_id == invoice_id))


def debit_mandate(document: InvoiceDocument | None) -> str:
    """The mandate under which the seller collects this invoice itself; '' when it is ours to pay."""
    return document.debit_mandate if document is not None else ""


def payee_account(document: InvoiceDocument | None, supplier: Customer | None) -> tuple[str, str]:
    """The account (IBAN, BIC) the invoice asks to be paid to, else the supplier's IBAN on record."""
    if document is not None and document.payee_iban:
        return document.payee_iban, document.payee_bic
    return (supplier.iban if supplier else ""), ""


def skonto_payment(
    invoice: Invoice,
    document: InvoiceDocument | None,
    *,
    open_cents: int,
    requested_on: date | None,
    today: date,
) -> SkontoPayment | None:
    """The Skonto transfer for an unpaid invoice: on `requested_on` if given, else on the last business day of
    the largest Skonto that can still be reached (the bank executes from the next business day on)."""
    if open_cents != invoice.amount_cents:
        return None  # partly paid or reported differently: the terms no longer describe what is owed
    earliest = next_business_day(today)
    offer = skonto_on(invoice, document, requested_on or earliest)
    if offer is None:
        return None
    execution_on = requested_on or _last_business_day(offer.until)
    if execution_on < earliest:
        return None
    return SkontoPayment(open_cents - offer.cents, execution_on, offer)


def skonto_on(invoice: Invoice, document: InvoiceDocument | None, day: date) -> SkontoOffer | None:
    """The Skonto the invoice's terms grant for money sent on `day`."""
    tiers = parse_tiers(document.skonto_terms) if document is not None else ()
    return best_offer(tiers, issued_on=invoice.issued_on, gross_cents=invoice.amount_cents, on=day)


def _last_business_day(until: date) -> date:
    while not is_business_day(until):
        until -= timedelta(days=1)
    return until


def iban_warnings(session: Session, invoice_id: int | None, iban: str) -> list[str]:
    """`account_warnings` of an order's invoice, read from the ledger (the approval dialog's path)."""
    invoice = session.get(Invoice, invoice_id) if invoice_id is not None else None
    if invoice is None:
        return []
    supplier = session.get(Customer, invoice.customer_id)
    return account_warnings(invoice, supplier, invoice_document(session, invoice.id), iban)


def account_warnings(
    invoice: Invoice, supplier: Customer | None, document: InvoiceDocument | None, iban: str
) -> list[str]:
    """Where an order's account disagrees with its invoice: the invoice names another account than the supplier's
    on record, or the order goes elsewhere than the invoice asks."""
    if document is None or not document.payee_iban:
        return []
    named = normalize_iban(document.payee_iban)
    on_record = normalize_iban(supplier.iban) if supplier is not None else ""
    warnings = []
    if supplier is not None and on_record and named != on_record:
        warnings.append(
            _(
                "Invoice {number} asks for payment to {new}, but {name}'s account on record is {old}. A changed "
                "bank account in an invoice is the usual way of invoice fraud: confirm it with {name} by phone, "
                "at a number you already had, before approving."
            ).format(number=invoice.number, new=grouped_iban(named), name=supplier.name, old=grouped_iban(on_record))
        )
    if normalize_iban(iban) != named:
        warnings.append(
            _("Invoice {number} asks for payment to {named}; this order goes to {iban}.").format(
                number=invoice.number, named=grouped_iban(named), iban=grouped_iban(iban)
            )
        )
    return warnings
