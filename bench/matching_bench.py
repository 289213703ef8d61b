"""Quality and speed of the matching engine on seeded synthetic books, against an anchor run in the same process.

Run: .venv/bin/python -m bench.matching_bench [--invoices N --payments M --seed S]
The anchor is what PERFORMANCE.md §3 calls the floor: regex number extraction plus one dict lookup per token.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from app.services.matching import Invoice, Matcher, MatchResult, Payment
from bench.matching_data import Books, Truth, generate

_ANCHOR_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)*")
INCREMENTAL = 500


@dataclass(slots=True)
class Quality:
    """Automatic assignments counted per (payment, invoice) pair against the truth."""

    auto: int = 0
    correct: int = 0
    true_pairs: int = 0
    payments: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.auto if self.auto else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.true_pairs if self.true_pairs else 1.0


def evaluate(results: Sequence[MatchResult], truth: dict[int, Truth]) -> dict[str, Quality]:
    """Per-scenario and total precision/recall of what the engine booked automatically."""
    per_kind: dict[str, Quality] = {}
    total = Quality()
    for result in results:
        expected = truth[result.payment_id]
        for quality in (per_kind.setdefault(expected.kind, Quality()), total):
            quality.payments += 1
            quality.true_pairs += len(expected.invoice_ids)
            if result.status == "auto" and result.best is not None:
                booked = {allocation.invoice_id for allocation in result.best.allocations}
                quality.auto += len(booked)
                quality.correct += len(booked & expected.invoice_ids)
    per_kind["TOTAL"] = total
    return per_kind


def anchor(invoices: Sequence[Invoice], payments: Sequence[Payment]) -> tuple[float, int]:
    """Regex extraction of number-like tokens and a dict lookup each; seconds and number of hits."""
    started = time.perf_counter()
    by_number = {invoice.number: invoice.id for invoice in invoices}
    hits = 0
    for payment in payments:
        for token in _ANCHOR_TOKEN.findall(payment.purpose):
            if token in by_number:
                hits += 1
    return time.perf_counter() - started, hits


def run(*, invoices: int, payments: int, seed: int) -> dict[str, Quality]:
    """Generate, time the anchor and the engine (full and incremental), print and return the quality."""
    started = time.perf_counter()
    books: Books = generate(invoices=invoices, payments=payments + INCREMENTAL, seed=seed)
    print(
        f"generated {len(books.invoices):,} invoices, {len(books.payments):,} payments "
        f"in {time.perf_counter() - started:.1f} s (seed {seed})"
    )
    held_out = set(random.Random(seed).sample(range(len(books.payments)), INCREMENTAL))
    full = [p for i, p in enumerate(books.payments) if i not in held_out]
    new = [p for i, p in enumerate(books.payments) if i in held_out]

    anchor_full, _hits = anchor(books.invoices, full)
    anchor_new, _hits = anchor(books.invoices, new)

    started = time.perf_counter()
    matcher = Matcher(books.invoices, books.customers, knowledge=books.knowledge)
    build = time.perf_counter() - started
    started = time.perf_counter()
    results = matcher.match_all(full)
    full_time = time.perf_counter() - started
    started = time.perf_counter()
    results += matcher.match_all(new)
    incremental = time.perf_counter() - started
    started = time.perf_counter()
    Matcher(books.invoices, books.customers, knowledge=books.knowledge).match_all(new)
    cold = time.perf_counter() - started

    quality = evaluate(results, books.truth)
    print()
    print(f"{'scenario':<28}{'payments':>9}{'true':>8}{'auto':>8}{'right':>8}{'precision':>11}{'recall':>9}")
    for kind, q in sorted(quality.items(), key=lambda item: (item[0] == "TOTAL", item[0])):
        print(
            f"{kind:<28}{q.payments:>9,}{q.true_pairs:>8,}{q.auto:>8,}{q.correct:>8,}"
            f"{q.precision:>10.2%}{q.recall:>9.2%}"
        )
    statuses = Counter(result.status for result in results)
    print(f"\nstatus: {dict(statuses)}")
    print()
    print(f"anchor, {len(full):,} payments (regex + dict lookup): {anchor_full:7.3f} s")
    print(f"engine build ({len(books.invoices):,} invoices, {len(books.customers):,} customers): {build:7.3f} s")
    print(
        f"engine match_all, {len(full):,} payments: {full_time:7.3f} s  "
        f"(build+match {build + full_time:.3f} s = {(build + full_time) / anchor_full:.1f}x anchor; target < 10 s)"
    )
    print(f"anchor, {len(new)} payments: {anchor_new * 1000:7.1f} ms")
    print(
        f"incremental match_all, {len(new)} new payments (warm): {incremental * 1000:7.1f} ms  "
        f"({incremental / anchor_new:.1f}x anchor; target < 500 ms)"
    )
    print(f"incremental with a fresh build (cold): {cold * 1000:7.1f} ms")
    return quality


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    run(invoices=args.invoices, payments=args.payments, seed=args.seed)


if __name__ == "__main__":
    main()
