"""Learning from manual mappings, so the next payment from the same payer is booked without asking."""

from __future__ import annotations

from collections.abc import Sequence

from app.services.matching.model import Invoice, PayerKnowledge, Payment
from app.services.matching.names import normalize_iban, normalize_name


def learn(knowledge: PayerKnowledge, *, payment: Payment, invoices: Sequence[Invoice]) -> PayerKnowledge:
    """A copy of the knowledge that links the payer's IBAN and name variant to the customer the user chose.

    Mappings over several customers teach nothing (the payer is a third party); the latest mapping of an
    IBAN or name wins, as the user's last decision is the best evidence we have.
    """
    customers = {invoice.customer_id for invoice in invoices}
    learned = PayerKnowledge(dict(knowledge.customer_by_iban), dict(knowledge.customer_by_name))
    if len(customers) != 1:
        return learned
    (customer_id,) = customers
    iban = normalize_iban(payment.counterparty_iban)
    if iban:
        learned.customer_by_iban[iban] = customer_id
    name = normalize_name(payment.counterparty_name)
    if name:
        learned.customer_by_name[name] = customer_id
    return learned
