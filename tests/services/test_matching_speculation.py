"""Matching ahead in a forked process gives exactly the results of matching one payment after another."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import pytest

from app.services.matching import Matcher, MatchResult, Payment, speculation
from bench.matching_data import Books, generate

pytestmark = pytest.mark.skipif(not speculation.can_fork(), reason="matching ahead needs fork and two cores")


@pytest.fixture(autouse=True)
def _free_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """Other tests may keep the machine busy; the copy's results must be right whatever the load."""
    monkeypatch.setattr(speculation, "second_core_free", lambda: True)


def _sequential(books: Books, monkeypatch: pytest.MonkeyPatch) -> list[MatchResult]:
    monkeypatch.setattr(speculation, "MIN_PAYMENTS", 10**9)
    results = Matcher(books.invoices, books.customers, knowledge=books.knowledge).match_all(books.payments)
    monkeypatch.setattr(speculation, "MIN_PAYMENTS", 0)
    return results


def _taken_over(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the results taken from the child instead of matched again."""
    taken: list[int] = []
    decoded = speculation._decoded

    def counting(payment_id: int, data: tuple) -> MatchResult:
        taken.append(payment_id)
        return decoded(payment_id, data)

    monkeypatch.setattr(speculation, "_decoded", counting)
    return taken


def _patient(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Lets this process wait for the child, which on a busy machine may otherwise be given up; returns the
    number of payments given to the child, chunk by chunk."""
    receive, send = speculation._Child.receive, speculation._Child.send
    given: list[int] = []

    def waiting(child: speculation._Child, start: int, *, timeout: float) -> list | None:
        return receive(child, start, timeout=3600)

    def counting(child: speculation._Child, message: tuple) -> bool:
        given.append(message[1] - message[0])
        return send(child, message)

    monkeypatch.setattr(speculation._Child, "receive", waiting)
    monkeypatch.setattr(speculation._Child, "send", counting)
    return given


@pytest.mark.parametrize("seed", [1, 5, 7])
def test_matching_ahead_gives_the_results_of_matching_in_order(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    books = generate(invoices=2_000, payments=5_000, seed=seed)
    expected = _sequential(books, monkeypatch)
    taken = _taken_over(monkeypatch)
    given = _patient(monkeypatch)
    monkeypatch.setattr(speculation, "CHUNK", 250)
    results = Matcher(books.invoices, books.customers, knowledge=books.knowledge).match_all(books.payments)
    assert results == expected
    # The child's chunks come from it, but for the few payments that read what the chunk before changed.
    assert len(given) >= 5 and sum(given) > 1_000
    assert 0.8 * sum(given) < len(taken) < sum(given)
    assert sum(result.status == "auto" for result in results) > 1_000


def test_racing_the_child_gives_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    books = generate(invoices=2_000, payments=5_000, seed=3)
    expected = _sequential(books, monkeypatch)
    monkeypatch.setattr(speculation, "CHUNK", 50)
    assert Matcher(books.invoices, books.customers, knowledge=books.knowledge).match_all(books.payments) == expected


def test_a_failing_child_leaves_the_payments_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    books = generate(invoices=500, payments=1_200, seed=2)
    expected = _sequential(books, monkeypatch)

    def failing(matcher: Matcher, payments: Sequence[Payment], *pipes: Callable) -> None:
        raise RuntimeError("child fails")

    monkeypatch.setattr(speculation, "_serve", failing)
    monkeypatch.setattr(speculation, "CHUNK", 100)
    taken = _taken_over(monkeypatch)
    assert Matcher(books.invoices, books.customers, knowledge=books.knowledge).match_all(books.payments) == expected
    assert taken == []


def test_a_caller_that_stops_early_leaves_no_child_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speculation, "MIN_PAYMENTS", 0)
    books = generate(invoices=300, payments=600, seed=4)
    matcher = Matcher(books.invoices, books.customers, knowledge=books.knowledge)
    ordered = speculation.matched_in_order(matcher, books.payments)
    next(ordered)
    ordered.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_a_busy_machine_forks_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    books = generate(invoices=300, payments=600, seed=4)
    monkeypatch.setattr(speculation, "MIN_PAYMENTS", 0)
    monkeypatch.setattr(speculation, "second_core_free", lambda: False)

    def no_fork() -> int:
        raise AssertionError("forked on a busy machine")

    monkeypatch.setattr(os, "fork", no_fork)
    matcher = Matcher(books.invoices, books.customers, knowledge=books.knowledge)
    assert len(matcher.match_all(books.payments)) == 600


def test_a_chunk_with_a_newer_one_waiting_is_aligned_but_not_matched() -> None:
    """A child that fell behind skips the chunk this process matched itself meanwhile, so it is not late for the
    next one too; the skipped chunk's open amounts still apply."""
    books = generate(invoices=500, payments=400, seed=3)
    payments = sorted(books.payments, key=lambda p: (p.booked_on, p.id))
    expected = Matcher(books.invoices, books.customers, knowledge=books.knowledge)
    settled = next(i for i in books.invoices if i.kind == "receivable")
    expected.set_open_cents(settled.id, 0)  # paid by a payment of the skipped chunk
    wanted = []
    for payment in payments[100:200]:
        result = expected.match(payment)
        wanted.append(result)
        if result.status == "auto" and result.best is not None:
            expected.apply(result.best)
    messages: list[object] = [(0, 100, {settled.id: 0}), (100, 200, {}), None]
    sent: list[tuple] = []
    child = Matcher(books.invoices, books.customers, knowledge=books.knowledge)
    speculation._serve(child, payments, lambda: messages.pop(0), sent.append, lambda: messages[0] is not None)
    assert [message[0] for message in sent] == [100]
    found = sent[0][1]
    taken = [
        speculation._decoded(p.id, encoded)
        for p, (_places, _seen, encoded) in zip(payments[100:200], found, strict=True)
    ]
    assert taken == wanted


def test_a_child_waiting_for_its_chunk_matches_it_early_and_keeps_what_still_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While this process matches its own chunk, an idle child matches the chunk after it from its own books; once
    the open amounts arrive, it keeps the early results whose places show the same and matches only the others."""
    monkeypatch.setattr(speculation, "CHUNK", 50)
    books = generate(invoices=500, payments=400, seed=3)
    payments = sorted(books.payments, key=lambda p: (p.booked_on, p.id))
    expected = Matcher(books.invoices, books.customers, knowledge=books.knowledge)
    wanted: list[MatchResult] = []
    moved: set[int] = set()
    for number, payment in enumerate(payments[:250]):
        result = expected.match(payment)
        wanted.append(result)
        if result.status == "auto" and result.best is not None:
            expected.apply(result.best)
            moved.update(a.invoice_id for a in result.best.allocations)  # sent with the next chunk
        if number == 149:
            amounts = {invoice_id: expected.open_cents_of(invoice_id) for invoice_id in moved}
    child = Matcher(books.invoices, books.customers, knowledge=books.knowledge)
    calls: list[int] = []
    match = child.match
    monkeypatch.setattr(child, "match", lambda payment: calls.append(payment.id) or match(payment))
    messages: list[object] = [(0, 100, {}), (150, 250, amounts), None]
    sent: list[tuple] = []
    polls = iter([False] * 6 + [True] * 1000)  # the second chunk arrives after the child matched 48 early

    def waiting() -> bool:
        return bool(sent) and len(messages) == 2 and next(polls)

    def send(message: tuple) -> None:
        sent.append(message)
        matched_before.append(len(calls))

    matched_before: list[int] = []
    speculation._serve(child, payments, lambda: messages.pop(0), send, waiting)
    assert [message[0] for message in sent] == [0, 150]
    early = [payment.id for payment in payments[150:198]]
    assert calls[100:148] == early  # matched while waiting, before the amounts came
    assert matched_before[1] < 100 + 48 + 100  # some of them kept
    taken = [
        speculation._decoded(p.id, encoded)
        for p, (_pl, _seen, encoded) in zip(payments[150:250], sent[1][1], strict=True)
    ]
    assert taken == wanted[150:250]
