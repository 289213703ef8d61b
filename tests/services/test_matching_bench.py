"""The benchmark's synthetic books, matched at small size, meet the precision and recall targets."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # `bench` lives next to `app`, outside the package

from app.services.matching import Matcher  # noqa: E402
from bench.matching_bench import evaluate  # noqa: E402
from bench.matching_data import generate  # noqa: E402


def test_small_benchmark_meets_precision_and_recall_targets() -> None:
    books = generate(invoices=2_000, payments=4_000, seed=7)
    matcher = Matcher(books.invoices, books.customers, knowledge=books.knowledge)
    quality = evaluate(matcher.match_all(books.payments), books.truth)
    total = quality["TOTAL"]
    assert total.payments == 4_000
    assert total.true_pairs > 1_500
    assert total.precision >= 0.995, total
    assert total.recall >= 0.90, total
    assert quality["unrelated"].auto == 0
    assert quality["collective_listed"].correct > 0 and quality["installments"].correct > 0


def test_generator_is_deterministic_and_truthful() -> None:
    first = generate(invoices=300, payments=600, seed=3)
    second = generate(invoices=300, payments=600, seed=3)
    assert first.payments == second.payments
    invoice_ids = {invoice.id for invoice in first.invoices}
    assert all(truth.invoice_ids <= invoice_ids for truth in first.truth.values())
    assert set(first.truth) == {payment.id for payment in first.payments}
