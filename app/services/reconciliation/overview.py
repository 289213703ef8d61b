"""What happened to the money of an import or a sync: assigned automatically, without invoice, or waiting for the
bookkeeper; and how many bookings need attention at all (the dashboard's and the status bar's main number)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.banking import BookingStatus, Reconciliation
from app.models.schema import Transaction
from app.services.i18n import ngettext
from app.services.ledger.database import Ledger
from app.services.ledger.dialects import id_chunks


@dataclass(frozen=True, slots=True)
class Outcome:
    new: int = 0
    assigned: int = 0  # to invoices (wholly), by matching or an own order's booking
    no_invoice: int = 0  # own-account transfers and what a rule covers
    attention: int = 0  # open or partly assigned: the bookkeeper's part

    def text(self) -> str:
        parts = [
            ngettext("{n} assigned automatically", "{n} assigned automatically", self.assigned).format(n=self.assigned),
            ngettext("{n} without invoice", "{n} without invoice", self.no_invoice).format(n=self.no_invoice),
            ngettext("{n} needs attention", "{n} need attention", self.attention).format(n=self.attention),
        ]
        return ", ".join(parts)


def outcome_of(session: Session, transaction_ids: Sequence[int]) -> Outcome:
    """The booked ones among `transaction_ids` by where they stand now (pending bookings wait for the bank)."""
    counts: dict[str, int] = {}
    ids = list(transaction_ids)
    for chunk in id_chunks(ids):
        rows = session.execute(
            select(Transaction.reconciliation, func.count())
            .where(Transaction.id.in_(chunk), Transaction.status == BookingStatus.BOOKED)
            .group_by(Transaction.reconciliation)
        )
        for state, count in rows:
            counts[state] = counts.get(state, 0) + count
    return _outcome(len(ids), counts)


def outcome_of_imports(ledger: Ledger, import_ids: Sequence[int]) -> Outcome:
    """`outcome_of` the bookings the statement imports `import_ids` brought: counted by import, not by listing
    every booking's id (100,000 of them in one big file)."""
    new = 0
    counts: dict[str, int] = {}
    with ledger.session() as session:
        rows = session.execute(
            select(Transaction.status, Transaction.reconciliation, func.count())
            .where(Transaction.import_id.in_(list(import_ids)))
            .group_by(Transaction.status, Transaction.reconciliation)
        )
        for status, state, count in rows:
            new += count
            if status == BookingStatus.BOOKED:
                counts[state] = counts.get(state, 0) + count
    return _outcome(new, counts)


def _outcome(new: int, counts: dict[str, int]) -> Outcome:
    return Outcome(
        new=new,
        assigned=counts.get(Reconciliation.MATCHED, 0),
        no_invoice=counts.get(Reconciliation.IGNORED, 0),
        attention=counts.get(Reconciliation.OPEN, 0) + counts.get(Reconciliation.PARTIAL, 0),
    )


def needing_attention(session: Session) -> int:
    """Booked payments still open or partly assigned, returns aside."""
    return int(
        session.scalar(
            select(func.count()).where(
                Transaction.status == BookingStatus.BOOKED,
                Transaction.reconciliation.in_((Reconciliation.OPEN, Reconciliation.PARTIAL)),
                Transaction.return_reason == "",
                Transaction.amount_cents != 0,
            )
        )
        or 0
    )
