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
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, TYPE_CHECKING

from app.services.matching.model import Allocation, MatchResult, Payment, Proposal

if TYPE_CHECKING:
    from app.services.matching.engine import Matcher

OPEN = "open"  # whether any open invoice has the amount
COMMON = "common"  # whether more than a few do
HEAD = "head"  # which do, unless too many

MIN_PAYMENTS = 20_000  # below this, forking and comparing cost more than the second core saves
OWN_SHARE = 0.45  # of the payments, matched here while the child matches the rest (it also notes its reads)
CHUNK = 500  # results the child delivers at a time

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
    booked by the caller; the caller books automatic results before taking the next one.

    Never waits for the child: a payment whose result has not arrived is matched here, and once this process
    has overtaken the child by a chunk, the child is stopped (a busy machine gave it no core).
    """
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
        ahead: list[_Ahead] = []
        for index, payment in enumerate(later):
            if child is not None and index >= len(ahead):
                ahead += child.take()
                if index >= len(ahead) + CHUNK:
                    child.stop()
                    child = None
            if index < len(ahead):
                places, seen, result = ahead[index]
                if matcher.observe(places) == seen:
                    yield payment, _decoded(payment.id, result)
                    continue
            yield payment, matcher.match(payment)
    finally:
        if child is not None:
            child.stop()


def _ahead(matcher: Matcher, payments: Sequence[Payment], deliver: Callable[[list[_Ahead]], None]) -> None:
    """In the child: match in order, booking automatic results, and deliver each chunk of results with what
    they depended on."""
    reads = Reads()
    matcher.trace(reads)
    chunk: list[_Ahead] = []
    for payment in payments:
        reads.clear()
        result = matcher.match(payment)
        places = reads.places()
        chunk.append((places, matcher.observe(places), _encoded(result)))
        if result.status == "auto" and result.best is not None:
            matcher.apply(result.best)
        if len(chunk) == CHUNK:
            deliver(chunk)
            chunk = []
    if chunk:
        deliver(chunk)


class _Child:
    """A forked copy of this process matching ahead, appending chunks of results to an unnamed file.

    A file, not a pipe: the child never blocks on a reader busy with its own half.
    """

    def __init__(self, pid: int, file: IO[bytes]) -> None:
        self.pid = pid
        self.file = file
        self.offset = 0

    @classmethod
    def start(cls, matcher: Matcher, payments: Sequence[Payment]) -> _Child | None:
        file = tempfile.TemporaryFile()
        try:
            pid = os.fork()
        except OSError:
            file.close()
            return None
        if pid == 0:  # the child: never returns into the caller's code, never runs its clean-up
            status = 1
            try:
                fd = file.fileno()

                def deliver(chunk: list[_Ahead]) -> None:
                    data = pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)
                    _write_all(fd, len(data).to_bytes(8, "little") + data)

                _ahead(matcher, payments, deliver)
                status = 0
            finally:
                os._exit(status)
        return cls(pid, file)

    def take(self) -> list[_Ahead]:
        """The results the child has delivered since the last call; never waits."""
        fd = self.file.fileno()
        size = os.fstat(fd).st_size
        found: list[_Ahead] = []
        while self.offset + 8 <= size:
            length = int.from_bytes(os.pread(fd, 8, self.offset), "little")
            if self.offset + 8 + length > size:
                break  # still being written
            found += pickle.loads(os.pread(fd, length, self.offset + 8))  # noqa: S301 - our own fork wrote it
            self.offset += 8 + length
        return found

    def stop(self) -> None:
        """End the child (done, overtaken, or the caller gave up) and collect it."""
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):  # already collected
            pass
        self.file.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


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
