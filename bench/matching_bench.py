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


# The kinds issue 15 names; each must reach RECALL_PER_KIND, the total RECALL and PRECISION.
LISTED_KINDS = ("third_party_payer", "no_reference_known_payer", "typo_reference", "collective_unlisted")
# Kinds whose evidence often allows another reading (equal amounts of one payer): the rules leave those cases to a
# person, so they bound the overall recall; the benchmark reports the recall without them as well.
AMBIGUOUS_KINDS = ("no_reference_same_amount_twice", "collective_unlisted_same_amounts")
PRECISION = 0.999
RECALL = 0.95
RECALL_PER_KIND = 0.85


@dataclass(frozen=True, slots=True)
class Confusion:
    """One wrong automatic assignment: what the payment paid and what the engine booked instead."""

    payment: Payment
    kind: str
    expected: tuple[Invoice, ...]
    booked: tuple[Invoice, ...]
    reasons: tuple[str, ...]


def evaluate(results: Sequence[MatchResult], truth: dict[int, Truth]) -> dict[str, Quality]:
    """Per-kind and total precision/recall of what the engine booked automatically."""
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


def confusions(results: Sequence[MatchResult], books: Books) -> list[Confusion]:
    """Every automatic assignment that booked an invoice the payment did not pay."""
    invoices = {invoice.id: invoice for invoice in books.invoices}
    payments = {payment.id: payment for payment in books.payments}
    wrong = []
    for result in results:
        if result.status != "auto" or result.best is None:
            continue
        expected = books.truth[result.payment_id]
        booked = {allocation.invoice_id for allocation in result.best.allocations}
        if booked - expected.invoice_ids:
            wrong.append(
                Confusion(
                    payments[result.payment_id],
                    expected.kind,
                    tuple(invoices[i] for i in sorted(expected.invoice_ids)),
                    tuple(invoices[i] for i in sorted(booked)),
                    result.best.reasons,
                )
            )
    return wrong


def targets_met(quality: dict[str, Quality]) -> list[str]:
    """The issue's targets that this run misses (empty when all are met)."""
    total = quality["TOTAL"]
    missed = []
    if total.precision < PRECISION:
        missed.append(f"precision {total.precision:.3%} < {PRECISION:.1%}")
    if total.recall < RECALL:
        missed.append(f"recall {total.recall:.2%} < {RECALL:.0%}")
    for kind in LISTED_KINDS:
        if kind in quality and quality[kind].recall < RECALL_PER_KIND:
            missed.append(f"{kind} recall {quality[kind].recall:.2%} < {RECALL_PER_KIND:.0%}")
    if "unrelated" in quality and quality["unrelated"].auto:
        missed.append(f"{quality['unrelated'].auto} unrelated bookings assigned")
    return missed


def _describe(invoices: Sequence[Invoice]) -> str:
    return ", ".join(f"{i.number} ({i.customer_name}, {i.open_amount})" for i in invoices) or "nothing"


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
    print(f"{'kind':<32}{'share':>6}{'payments':>9}{'true':>8}{'auto':>8}{'right':>8}{'precision':>11}{'recall':>9}")
    weight = sum(books.shares.values())
    for kind, q in sorted(quality.items(), key=lambda item: (item[0] == "TOTAL", item[0])):
        share = f"{books.shares[kind] / weight:6.1%}" if kind in books.shares else " " * 6
        listed = "*" if kind in LISTED_KINDS else " "
        print(
            f"{listed}{kind:<31}{share}{q.payments:>9,}{q.true_pairs:>8,}{q.auto:>8,}{q.correct:>8,}"
            f"{q.precision:>10.2%}{q.recall:>9.2%}"
        )
    rest = [q for kind, q in quality.items() if kind not in (*AMBIGUOUS_KINDS, "TOTAL")]
    right, true = sum(q.correct for q in rest), sum(q.true_pairs for q in rest)
    ambiguous = quality["TOTAL"].true_pairs - true
    print(
        f"recall without the {ambiguous:,} pairs of kinds left to a person by the rules "
        f"({ambiguous / max(1, quality['TOTAL'].true_pairs):.1%}): {right / max(1, true):.2%}"
    )
    statuses = Counter(result.status for result in results)
    print(f"\nstatus: {dict(statuses)}   (* = kinds issue 15 names)")
    wrong = confusions(results, books)
    print(f"\nwrong automatic assignments: {len(wrong)}")
    for item in wrong:
        payment = item.payment
        print(f"  [{item.kind}] {payment.amount} from {payment.counterparty_name!r}: {payment.purpose!r}")
        print(f"      paid   {_describe(item.expected)}")
        print(f"      booked {_describe(item.booked)} because {'; '.join(item.reasons)}")
    missed = targets_met(quality)
    print("targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
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
