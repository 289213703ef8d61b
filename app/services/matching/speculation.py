"""Matching a big run on two cores with the results of one: chunks of payments are matched in turn here and,
ahead, in a forked copy of this process; the copy's results are taken over in booking order where still valid.

A payment's result depends on the books only through the open amounts earlier payments of the run left, and
the engine notes where it read them (`Reads`: invoices, a customer's open invoices, invoices of one amount).
While this process matches a chunk, the child matches the next one from the books as this process left them
a chunk earlier, booking its own automatic results; with each result it sends what those places showed.
When the payment's turn comes here, the same places are looked at again: if they show the same, `match` would
compute the same and the child's result is taken, else the payment is matched again. So the results are those
of matching one payment after another, only sooner.
"""

from __future__ import annotations

import fcntl
import gc
import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from app.services.helper_core import cores
from app.services.matching.model import Allocation, MatchResult, Payment, Proposal

if TYPE_CHECKING:
    from app.services.matching.engine import Matcher

OPEN = "open"  # whether any open invoice has the amount
COMMON = "common"  # whether more than a few do
HEAD = "head"  # which do, unless too many

MIN_PAYMENTS = 20_000  # below this, forking and comparing cost more than the second core saves
CHUNK = 1_000  # payments matched here in turn with the child's share
_MIN_SHARE = 100
_MAX_MISSES = 3
# An alignment holds a few bytes per invoice booked in a turn of at most 3 * CHUNK payments, a chunk's results
# about 200 bytes per payment: either fits, so neither side's write waits for the other to read.
_PIPE_BYTES = 1 << 20
_POLL = 32  # payments this process matches of a late chunk before it looks again for the child's results
_EARLY_POLL = 8  # payments the child matches early before it looks again for its next chunk
_AIM = 0.85  # of this process's own chunk time the child's chunk is planned to take

# Where a result looked: invoice ids, (side, customer id), (side, test, cents).
Places = tuple[tuple[int, ...], tuple[tuple[str, int], ...], tuple[tuple[str, str, int], ...]]
# A payment matched ahead: where it looked, what it saw there, its result as plain tuples.
_Ahead = tuple[Places, tuple[object, ...], tuple]


@dataclass(frozen=True, slots=True)
class _Results:
    """A chunk the child matched, and the seconds it spent on it (sending included)."""

    found: list[_Ahead]
    seconds: float


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
    """A forked copy of this process only on Linux, with a second core this process may run on (its affinity)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and cores() >= 2


def second_core_free() -> bool:
    """Whether the machine has a core to spare: on a busy one the copy would only wait for its turn, and this
    process for the copy (the load average counts this process too)."""
    return os.getloadavg()[0] < (os.cpu_count() or 1) - 0.5


def matched_in_order(matcher: Matcher, payments: Sequence[Payment]) -> Iterator[tuple[Payment, MatchResult]]:
    """Each payment with its result, in order, as `matcher.match` gives it with everything yielded before
    booked by the caller; the caller books automatic results before taking the next one.

    Chunks alternate: this process matches one while the child matches the next, from the books as this
    process left them one chunk earlier. The child's chunks are sized so that it finishes about when this
    process does (it also notes its reads and sends its results). This process never waits: it matches a chunk
    the child has not delivered yet itself, taking the child's results for the rest of it once they arrive. A
    child whose results came too late for any payment of a few chunks in a row (a busy machine gives it no core)
    is stopped. On a busy machine nothing is forked.
    """
    if len(payments) < MIN_PAYMENTS or not can_fork() or not second_core_free():
        for payment in payments:
            yield payment, matcher.match(payment)
        return
    child = _Child.start(matcher, payments)
    moved: set[int] = set()  # invoices whose open amount changed since the child's books were brought in line
    misses = 0  # chunks in a row the child did not deliver in time
    share = CHUNK // 2  # payments the child is given next to this process's CHUNK
    position = 0
    try:
        while position < len(payments):
            own = payments[position : position + CHUNK]
            ahead_from, ahead_to = position + len(own), min(len(payments), position + len(own) + share)
            if child is not None and ahead_from < ahead_to:
                amounts = {invoice_id: matcher.open_cents_of(invoice_id) for invoice_id in moved}
                if not child.send((ahead_from, ahead_to, amounts)):
                    child = None
                moved.clear()
            began = time.perf_counter()
            for payment in own:
                result = matcher.match(payment)
                yield payment, result
                _note(moved, result)
            own_seconds = time.perf_counter() - began
            ahead: _Results | None = None
            if child is not None and ahead_from < ahead_to:
                ahead = child.receive(ahead_from, timeout=0.0)
            for number, payment in enumerate(payments[ahead_from:ahead_to]):
                if ahead is None and child is not None and number % _POLL == 0:
                    ahead = child.receive(ahead_from, timeout=0.0)  # late, but the rest of the chunk may use it
                if ahead is not None and _still_holds(matcher, ahead.found[number]):
                    result = _decoded(payment.id, ahead.found[number][2])
                else:
                    result = matcher.match(payment)
                yield payment, result
                _note(moved, result)
            if child is not None and ahead_from < ahead_to:
                misses = 0 if ahead is not None else misses + 1
                if misses == _MAX_MISSES:
                    child.stop()
                    child = None
                share = _next_share(share, own_seconds, ahead)
            position = ahead_to if ahead_from < ahead_to else ahead_from
    finally:
        if child is not None:
            child.stop()


def _next_share(share: int, own_seconds: float, ahead: _Results | None) -> int:
    """The child's next chunk: a little less than it matches, at its last pace, while this process matches a chunk
    of its own (finishing early, the child begins the chunk after; finishing late, it leaves this process payments
    to match itself), halfway from the last share, as one slow chunk is no trend. Less after a chunk it did not
    deliver at all."""
    if ahead is None or not ahead.found:
        wanted = share * 0.8
    else:
        pace = ahead.seconds / len(ahead.found)
        wanted = (share + _AIM * own_seconds / pace) / 2 if pace > 0 else share
    return max(_MIN_SHARE, min(2 * CHUNK, int(wanted)))


def _still_holds(matcher: Matcher, ahead: _Ahead) -> bool:
    """Whether a result matched ahead is still the one `match` would give: the places it read show the same."""
    places, seen, _result = ahead
    return matcher.observe(places) == seen


def _note(moved: set[int], result: MatchResult) -> None:
    """The invoices the caller books for an automatic result."""
    if result.status == "auto" and result.best is not None:
        moved.update(allocation.invoice_id for allocation in result.best.allocations)


def _serve(
    matcher: Matcher,
    payments: Sequence[Payment],
    receive: Callable[[], object],
    send: Callable[[object], None],
    waiting: Callable[[], bool],
) -> None:
    """In the child: for each chunk this process is given, bring the books in line with the given open amounts
    (undoing its own bookings of the chunk before), match in order booking automatic results, and send the
    results with what each depended on.

    While it waits for the next chunk, it matches ahead from where that chunk will begin (after this process's
    own chunk); once the chunk and the open amounts arrive, a result matched so early is kept where the places
    it read still show the same, as this process checks the child's results. A chunk with a newer one already
    waiting is only aligned, not matched: this process has matched it itself by then, and matching it anyway
    would make every later chunk late too."""
    reads = Reads()
    matcher.trace(reads)
    undo: dict[int, int] = {}  # open amounts before this process's own bookings since the last alignment

    def matched(payment: Payment) -> tuple[_Ahead, MatchResult]:
        reads.clear()
        result = matcher.match(payment)
        places = reads.places()
        return (places, matcher.observe(places), _encoded(result)), result

    def book(result: MatchResult) -> None:
        if result.status == "auto" and result.best is not None:
            for allocation in result.best.allocations:
                undo.setdefault(allocation.invoice_id, matcher.open_cents_of(allocation.invoice_id))
            matcher.apply(result.best)

    sending = 0.0  # seconds per result the last send took, counted into the pace this process plans with
    early: list[tuple[_Ahead, MatchResult]] = []  # matched while waiting, from `early_from` on
    early_from = -1
    while True:
        while (
            0 <= early_from < len(payments) - len(early)
            and len(early) < 2 * CHUNK
            and (len(early) % _EARLY_POLL or not waiting())
        ):
            ahead, result = matched(payments[early_from + len(early)])
            early.append((ahead, result))
            book(result)
        message = receive()
        if message is None:
            return
        began = time.perf_counter()
        start, end, amounts = cast(tuple[int, int, dict[int, int]], message)
        # Most of its own bookings this process made too: only where the amounts differ does an index change.
        for invoice_id, cents in (undo | amounts).items():
            matcher.set_open_cents(invoice_id, cents)
        undo.clear()
        matched_early = early if start == early_from else []
        early, early_from = [], -1
        if waiting():
            continue
        found: list[_Ahead] = []
        for number, payment in enumerate(payments[start:end]):
            if number < len(matched_early) and _still_holds(matcher, matched_early[number][0]):
                ahead, result = matched_early[number]
            else:
                ahead, result = matched(payment)
            found.append(ahead)
            book(result)
        sent = time.perf_counter()
        send((start, found, sent - began + sending * len(found)))
        sending = (time.perf_counter() - sent) / max(1, len(found))
        early_from = end + CHUNK


class _Child:
    """A forked copy of this process matching chunks ahead, talking through two pipes."""

    def __init__(self, pid: int, to_child: int, from_child: int) -> None:
        self.pid = pid
        self.to_child = to_child
        self.from_child = from_child

    @classmethod
    def start(cls, matcher: Matcher, payments: Sequence[Payment]) -> _Child | None:
        down_read, down_write = os.pipe()
        up_read, up_write = os.pipe()
        try:
            # The open amounts sent down must never wait for a child that is itself waiting to send results up,
            # and the child goes on with its next chunk while this process has not read the last one yet.
            fcntl.fcntl(down_write, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
            fcntl.fcntl(up_write, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
            pid = os.fork()
        except OSError:  # no bigger pipe allowed, or no fork: match everything here
            for fd in (down_read, down_write, up_read, up_write):
                os.close(fd)
            return None
        if pid == 0:  # the child: never returns into the caller's code, never runs its clean-up
            status = 1
            try:
                os.close(down_write)
                os.close(up_read)
                gc.disable()  # a collection would touch, and so copy, every page the fork shares
                _serve(
                    matcher,
                    payments,
                    lambda: _read_message(down_read),
                    lambda data: _write_message(up_write, data),
                    lambda: bool(select.select([down_read], [], [], 0)[0]),
                )
                status = 0
            finally:
                os._exit(status)
        os.close(down_read)
        os.close(up_write)
        return cls(pid, down_write, up_read)

    def send(self, message: object) -> bool:
        try:
            _write_message(self.to_child, message)
        except OSError:
            self.stop()
            return False
        return True

    def receive(self, start: int, *, timeout: float) -> _Results | None:
        """The child's results for the chunk from `start`, waiting at most `timeout` seconds; None if late.

        Results of chunks this process matched itself meanwhile are passed over.
        """
        deadline = time.perf_counter() + timeout
        while True:
            ready, _w, _x = select.select([self.from_child], [], [], max(0.0, deadline - time.perf_counter()))
            if not ready:
                return None
            message = _read_message(self.from_child)
            if message is None:
                return None
            got, found, seconds = cast(tuple[int, list[_Ahead], float], message)
            if got == start:
                return _Results(found, seconds)

    def stop(self) -> None:
        """End the child (done, too slow, or the caller gave up) and collect it."""
        for fd in (self.to_child, self.from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):  # already collected
            pass


def _write_message(fd: int, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(len(data).to_bytes(8, "little") + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_message(fd: int) -> object | None:
    """One message, or None at the end of the pipe."""
    header = _read_exactly(fd, 8)
    if header is None:
        return None
    data = _read_exactly(fd, int.from_bytes(header, "little"))
    return None if data is None else pickle.loads(data)  # noqa: S301 - written by our own fork


def _read_exactly(fd: int, size: int) -> bytes | None:
    parts = []
    while size:
        part = os.read(fd, min(size, 1 << 20))
        if not part:
            return None
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


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
