"""Matching a big run on two cores with the results of one: the later payments are matched ahead in a forked
process while this one matches the earlier ones, then taken over in booking order where still valid.

A payment's result depends on the books only through the open amounts earlier payments of the run left, and
the engine notes where it read them (`Reads`: invoices, a customer's open invoices, invoices of one amount).
The child matches its part in order against the books as they were at the fork, booking its own automatic
results; with each result it sends what those places showed. Here, when the payment's turn comes, the same
places are looked at again: if they show the same, `match` would compute the same and the child's result is
taken, else the payment is matched again. So the results are those of matching one payment after another,
only sooner.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from app.services.matching.model import Allocation, MatchResult, Payment, Proposal

if TYPE_CHECKING:
    from app.services.matching.engine import Matcher

OPEN = "open"  # whether any open invoice has the amount
COMMON = "common"  # whether more than a few do
HEAD = "head"  # which do, unless too many

MIN_PAYMENTS = 20_000  # below this, forking and comparing cost more than the second core saves
OWN_SHARE = 0.5  # of the payments, matched here while the child matches the rest

# Where a result looked: invoice ids, (side, customer id), (side, test, cents).
Places = tuple[tuple[int, ...], tuple[tuple[str, int], ...], tuple[tuple[str, str, int], ...]]
# A payment matched ahead: where it looked, what it saw there, its result as plain tuples.
_Ahead = tuple[Places, tuple[object, ...], tuple]


@dataclass(slots=True)
class Reads:
    """Where one `match` looked at what booking changes: open amounts of invoices, the open invoices of
    (side, customer), and (side, test, cents) of the invoices open with an amount."""

    invoices: set[int] = field(default_factory=set)
    customers: set[tuple[str, int]] = field(default_factory=set)
    buckets: set[tuple[str, str, int]] = field(default_factory=set)

    def places(self) -> Places:
        """The places in a fixed order, so that what was seen there lines up when sent elsewhere."""
        return tuple(self.invoices), tuple(self.customers), tuple(self.buckets)

    def clear(self) -> None:
        self.invoices.clear()
        self.customers.clear()
        self.buckets.clear()


def can_fork() -> bool:
    """A forked copy of this process only on Linux, with a second core to run it on."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and (os.cpu_count() or 1) >= 2


def matched_in_order(matcher: Matcher, payments: Sequence[Payment]) -> Iterator[tuple[Payment, MatchResult]]:
    """Each payment with its result, in order, as `matcher.match` gives it with everything yielded before
    booked by the caller; the caller books automatic results before taking the next one."""
    if len(payments) < MIN_PAYMENTS or not can_fork():
        for payment in payments:
            yield payment, matcher.match(payment)
        return
    split = int(len(payments) * OWN_SHARE)
    later = payments[split:]
    child = _Child.start(matcher, later)
    try:
        for payment in payments[:split]:
            yield payment, matcher.match(payment)
        ahead = child.results() if child is not None else None
        child = None
        if ahead is None or len(ahead) != len(later):
            ahead = None
        for index, payment in enumerate(later):
            guess = ahead[index] if ahead is not None else None
            if guess is not None:
                places, seen, result = guess
                if matcher.observe(places) == seen:
                    yield payment, _decoded(payment.id, result)
                    continue
            yield payment, matcher.match(payment)
    finally:
        if child is not None:
            child.stop()


def _ahead(matcher: Matcher, payments: Sequence[Payment]) -> list[_Ahead]:
    """In the child: match in order, booking automatic results, with what each result depended on."""
    reads = Reads()
    matcher.trace(reads)
    out = []
    for payment in payments:
        reads.clear()
        result = matcher.match(payment)
        places = reads.places()
        out.append((places, matcher.observe(places), _encoded(result)))
        if result.status == "auto" and result.best is not None:
            matcher.apply(result.best)
    return out


class _Child:
    """A forked copy of this process matching ahead, and the pipe its results come through."""

    def __init__(self, pid: int, pipe: int) -> None:
        self.pid = pid
        self.pipe = pipe

    @classmethod
    def start(cls, matcher: Matcher, payments: Sequence[Payment]) -> _Child | None:
        try:
            read_end, write_end = os.pipe()
            pid = os.fork()
        except OSError:
            return None
        if pid == 0:  # the child: never returns into the caller's code, never runs its clean-up
            status = 1
            try:
                os.close(read_end)
                data = pickle.dumps(_ahead(matcher, payments), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_end, "wb") as out:
                    out.write(data)
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        return cls(pid, read_end)

    def results(self) -> list[_Ahead] | None:
        """Waits for the child; None if it failed (the payments are then matched here)."""
        with os.fdopen(self.pipe, "rb") as pipe:
            data = pipe.read()
        _pid, status = os.waitpid(self.pid, 0)
        if status != 0 or not data:
            return None
        return pickle.loads(data)  # noqa: S301 - written by our own fork a moment ago

    def stop(self) -> None:
        """The caller gave up (an error, or it stopped iterating): end the child and collect it."""
        os.close(self.pipe)
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)


def _encoded(result: MatchResult) -> tuple:
    """A result as plain tuples, which pickle several times faster than the dataclasses."""
    return (
        result.status,
        result.why_not,
        result.best is not None,
        tuple(
            (
                tuple((a.invoice_id, _cents(a.amount), _cents(a.discount)) for a in proposal.allocations),
                proposal.score,
                proposal.reasons,
                proposal.kind,
                proposal.doubt,
            )
            for proposal in result.suggestions
        ),
    )


def _decoded(payment_id: int, data: tuple) -> MatchResult:
    status, why_not, has_best, encoded = data
    suggestions = tuple(
        Proposal(
            payment_id,
            tuple(
                Allocation(invoice_id, _money(cents), _money(discount)) for invoice_id, cents, discount in allocations
            ),
            score,
            reasons,
            kind,
            doubt,
        )
        for allocations, score, reasons, kind, doubt in encoded
    )
    return MatchResult(payment_id, status, suggestions[0] if has_best else None, suggestions, why_not)


def _cents(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def _money(cents: int) -> Decimal:
    """As the engine writes amounts (`engine._money`), so a result taken over equals one computed here."""
    return Decimal(cents).scaleb(-2)
