"""Payments without an invoice, with what they are: transfers between own accounts, salaries, taxes, fees, rent.

They are not noise in the open list once marked: by hand for several bookings at once (`mark_no_invoice`), by a
rule for an IBAN or a purpose text ("always salary"), and, for transfers between the company's own accounts, by
themselves (`settle_known`, run on every import before invoice matching). A marked booking is "ignored" for
matching, with the category in its note; undo in Map takes it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.models.banking import Reconciliation
from app.models.schema import BankAccount, NoInvoiceRule, Transaction
from app.services.i18n import N_, _
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.dialects import id_chunks
from app.services.reconciliation.booking import ReconciliationError, allocated_on_transaction
from app.services.reconciliation.engine_input import matchable

CATEGORIES = {
    "transfer": N_("Transfer between own accounts"),
    "salary": N_("Salary"),
    "tax": N_("Tax"),
    "fee": N_("Bank fee"),
    "interest": N_("Interest"),
    "rent": N_("Rent"),
    "card": N_("Card settlement"),
    "refund": N_("Refund"),
    "other": N_("Other, without invoice"),
}


@dataclass(frozen=True, slots=True)
class Settled:
    own_transfers: int
    by_rule: int

    @property
    def total(self) -> int:
        return self.own_transfers + self.by_rule


def category_label(category: str) -> str:
    return _(CATEGORIES.get(category, category))


def _mark(session: Session, tx: Transaction, category: str, note: str, *, actor: str) -> None:
    label = category_label(category)
    tx.reconciliation = Reconciliation.IGNORED
    tx.reconciliation_note = (f"{label}: {note}" if note else label)[:200]
    audit.record_row(session, actor=actor, action="ignore", row=tx, summary=f"no invoice: {category}")


def mark_no_invoice(
    ledger: Ledger,
    transaction_ids: Sequence[int],
    category: str,
    *,
    actor: str,
    note: str = "",
    always_for_iban: bool = False,
) -> int:
    """Mark bookings as without invoice, all or none; with `always_for_iban` also for their payer's future ones."""
    if category not in CATEGORIES:
        raise ReconciliationError(_("Unknown category {category}").format(category=category))
    with ledger.writer() as session:
        rows = [session.get(Transaction, tx_id) for tx_id in transaction_ids]
        if not rows or any(tx is None for tx in rows):
            raise ReconciliationError(_("No such transaction."))
        marked = [tx for tx in rows if tx is not None]
        for tx in marked:
            if allocated_on_transaction(session, tx.id):
                raise ReconciliationError(
                    _("{name} on {date} is assigned to invoices; undo that in Map first.").format(
                        name=tx.counterparty_name or tx.purpose[:40], date=tx.booked_on
                    )
                )
            _mark(session, tx, category, note.strip(), actor=actor)
        if always_for_iban:
            ibans = {tx.counterparty_iban for tx in marked}
            if len(ibans) != 1 or not next(iter(ibans)):
                raise ReconciliationError(_("A rule needs bookings of one account (IBAN)."))
            add_rule(session, iban=ibans.pop(), category=category, actor=actor)
        return len(marked)


def add_rule(
    session: Session, *, category: str, actor: str, iban: str = "", purpose_contains: str = ""
) -> NoInvoiceRule:
    iban = iban.replace(" ", "").upper()
    if not iban and not purpose_contains.strip():
        raise ReconciliationError(_("A rule needs an IBAN or a purpose text."))
    rule = NoInvoiceRule(iban=iban, purpose_contains=purpose_contains.strip(), category=category, created_by=actor)
    session.add(rule)
    session.flush()
    audit.record_row(session, actor=actor, action="create", row=rule, summary=f"no invoice rule: {category}")
    return rule


def settle_known(session: Session, transaction_ids: Sequence[int] | None, *, actor: str) -> Settled:
    """Transfers between own accounts and what a rule covers, among the open bookings (of `transaction_ids`).

    Only candidates are loaded (their IBAN or purpose text in SQL), in chunks: an import of 100,000 bookings
    must not wait for this."""
    own = {iban for iban in session.scalars(select(BankAccount.iban)) if iban}
    rules = list(session.scalars(select(NoInvoiceRule).order_by(NoInvoiceRule.id)))
    ibans = own | {rule.iban for rule in rules if rule.iban}
    texts = [rule.purpose_contains for rule in rules if rule.purpose_contains and not rule.iban]
    wanted = [Transaction.counterparty_iban.in_(sorted(ibans))] + [
        Transaction.purpose.ilike("%" + _escaped(text) + "%", escape="\\") for text in texts
    ]
    query = select(Transaction).where(*matchable(), or_(*wanted))
    batches = (
        [query]
        if transaction_ids is None
        else [query.where(Transaction.id.in_(chunk)) for chunk in id_chunks(list(transaction_ids))]
    )
    own_transfers = by_rule = 0
    for batch in batches:
        for tx in session.scalars(batch):
            iban = (tx.counterparty_iban or "").replace(" ", "").upper()
            if iban in own:
                _mark(session, tx, "transfer", "", actor=actor)
                own_transfers += 1
                continue
            purpose = tx.purpose.casefold()
            rule = next((r for r in rules if _applies(r, iban, purpose)), None)
            if rule is not None:
                _mark(session, tx, rule.category, _("by rule"), actor=actor)
                by_rule += 1
    return Settled(own_transfers, by_rule)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _applies(rule: NoInvoiceRule, iban: str, purpose: str) -> bool:
    if rule.iban and rule.iban != iban:
        return False
    return not rule.purpose_contains or rule.purpose_contains.casefold() in purpose
