"""Quality and speed of the matching engine on seeded synthetic books, against an anchor run in the same process.

Run: .venv/bin/python -m bench.matching_bench [--invoices N --payments M --seed S]
The anchor is what PERFORMANCE.md §3 calls the floor: regex number extraction plus one dict lookup per token.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from rapidfuzz import fuzz, process

from app.services.matching import Invoice, Matcher, MatchResult, Payment
from bench.matching_data import Books, Truth, generate

_ANCHOR_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)*")
INCREMENTAL = 500
SUGGEST_SAMPLE = 200
T = TypeVar("T")


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


def anchor_index(invoices: Sequence[Invoice]) -> dict[str, int]:
    return {invoice.number: invoice.id for invoice in invoices}


def anchor(by_number: dict[str, int], payments: Sequence[Payment]) -> int:
    """Regex extraction of number-like tokens and a dict lookup each; returns the number of hits."""
    hits = 0
    for payment in payments:
        for token in _ANCHOR_TOKEN.findall(payment.purpose):
            if token in by_number:
                hits += 1
    return hits


def blocking_anchor(invoices: Sequence[Invoice], payments: Sequence[Payment]) -> int:
    """PERFORMANCE.md §3's blocking anchor: number lookup, else same-amount invoices ranked by WRatio >= 80."""
    by_number = anchor_index(invoices)
    by_amount: dict[Decimal, list[Invoice]] = {}
    for invoice in invoices:
        by_amount.setdefault(invoice.open_amount, []).append(invoice)
    hits = 0
    for payment in payments:
        if any(token in by_number for token in _ANCHOR_TOKEN.findall(payment.purpose)):
            hits += 1
            continue
        same = by_amount.get(abs(payment.amount), [])
        names = [invoice.customer_name for invoice in same]
        if names and process.extractOne(payment.counterparty_name, names, scorer=fuzz.WRatio, score_cutoff=80):
            hits += 1
    return hits


def timed(function: Callable[[], T]) -> tuple[T, float, float]:
    """Result, wall seconds and CPU seconds; the CPU figure is what other jobs on a shared machine distort least."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def run(*, invoices: int, payments: int, seed: int) -> dict[str, Quality]:
    """Generate, time the anchors and the engine (full, incremental, suggest), print and return the quality."""
    started = time.perf_counter()
    books: Books = generate(invoices=invoices, payments=payments + INCREMENTAL, seed=seed)
    print(
        f"generated {len(books.invoices):,} invoices, {len(books.payments):,} payments "
        f"in {time.perf_counter() - started:.1f} s (seed {seed}); load average {os.getloadavg()[0]:.1f}"
    )
    held_out = set(random.Random(seed).sample(range(len(books.payments)), INCREMENTAL))
    full = [p for i, p in enumerate(books.payments) if i not in held_out]
    new = [p for i, p in enumerate(books.payments) if i in held_out]

    by_number, anchor_build, anchor_build_cpu = timed(lambda: anchor_index(books.invoices))
    _hits, anchor_full, anchor_full_cpu = timed(lambda: anchor(by_number, full))
    _hits, anchor_new, anchor_new_cpu = timed(lambda: anchor(by_number, new))
    _hits, blocking, blocking_cpu = timed(lambda: blocking_anchor(books.invoices, full))
    anchor_full += anchor_build
    anchor_full_cpu += anchor_build_cpu

    matcher, build, build_cpu = timed(lambda: Matcher(books.invoices, books.customers, knowledge=books.knowledge))
    results, full_time, full_cpu = timed(lambda: matcher.match_all(full))
    new_results, incremental, incremental_cpu = timed(lambda: matcher.match_all(new))
    results += new_results

    names = [customer.name for customer in books.customers]
    sample = new[:SUGGEST_SAMPLE]
    _found, extract, extract_cpu = timed(
        lambda: [process.extract(p.counterparty_name, names, scorer=fuzz.WRatio, limit=5) for p in sample]
    )
    _suggestions, suggest, suggest_cpu = timed(lambda: [matcher.suggest(p) for p in sample])

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
    print(f"\n{'timing':<58}{'wall':>10}{'cpu':>10}{'wall/anchor':>13}")
    rows = [
        (f"anchor: index + regex/dict over {len(full):,} payments", anchor_full, anchor_full_cpu, None),
        (f"engine build ({len(books.invoices):,} invoices)", build, build_cpu, None),
        (f"engine match_all {len(full):,} payments", full_time, full_cpu, None),
        ("engine build + match_all (target < 10 s)", build + full_time, build_cpu + full_cpu, anchor_full),
        ("blocking anchor (PERFORMANCE.md §3), same payments", blocking, blocking_cpu, None),
        ("engine build + match_all / blocking anchor", build + full_time, build_cpu + full_cpu, blocking),
        (f"anchor: regex/dict over {len(new)} payments", anchor_new, anchor_new_cpu, None),
        (f"incremental match_all {len(new)} payments (target < 0.5 s)", incremental, incremental_cpu, anchor_new),
        (f"anchor: process.extract(limit=5) x {len(sample)}", extract, extract_cpu, None),
        (f"suggest x {len(sample)} (target <= 5x anchor)", suggest, suggest_cpu, extract),
    ]
    for label, wall, cpu, reference in rows:
        ratio = f"{wall / reference:12.1f}x" if reference else ""
        print(f"{label:<58}{wall:9.3f}s{cpu:9.3f}s{ratio}")
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
