"""`python -m bench` (what `make bench` runs): every benchmark in turn, each as its own process."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = (
    ("statement import", ["bench.import_bench"]),
    ("reconciliation engine", ["bench.matching_bench"]),
    ("kontor match on an encrypted ledger", ["bench.reconciliation_bench"]),
    ("transactions view and search", ["bench.views_bench"]),
)


def main() -> int:
    failed = 0
    for title, module in BENCHMARKS:
        print(f"\n== {title} ==", flush=True)
        failed += subprocess.run([sys.executable, "-m", *module], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
