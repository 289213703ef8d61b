"""Import throughput into an encrypted ledger, as a ratio to the `mt940` package's bare parse of the same file.

Run: `python -m bench.import_bench [--entries N]`. Each measurement runs in its own process so that its
peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.statement_data import write_camt053, write_mt940


def _worker(kind: str, path: Path, ledger_dir: Path) -> dict[str, float]:
    start = time.perf_counter()
    if kind == "mt940-package":
        import mt940

        count = len(mt940.parse(path.read_bytes().decode("latin-1")))
    else:
        from app.services.ledger import Ledger
        from app.services.statement_import import import_statement_files

        ledger = Ledger.create(ledger_dir / f"{kind}.kontor", "bench", company_name="Bench")
        start = time.perf_counter()
        [result] = import_statement_files(ledger, [path], actor="bench")
        if result.error:
            raise SystemExit(result.error)
        count = result.new
        ledger.close()
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"entries": count, "seconds": seconds, "peak_kib": peak_kib}


def _measure(kind: str, path: Path, ledger_dir: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.import_bench", "--worker", kind, str(path), str(ledger_dir)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "FILE", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, file, folder = args.worker
        print(json.dumps(_worker(kind, Path(file), Path(folder))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        mt = write_mt940(folder / "bench.sta", args.entries)
        camt = write_camt053(folder / "bench.xml", args.entries)
        anchor = _measure("mt940-package", mt, folder)
        rows = [("mt940 package, parse only (anchor)", anchor)]
        rows.append(("Kontor MT940 import into encrypted ledger", _measure("mt940", mt, folder)))
        rows.append(("Kontor camt.053 import into encrypted ledger", _measure("camt", camt, folder)))
    anchor_rate = anchor["entries"] / anchor["seconds"]
    print(f"{args.entries:,} entries; ratios are entries/s against the anchor measured in this run")
    print(f"{'what':48} {'entries/s':>12} {'ratio':>7} {'peak RSS':>10} {'per entry':>10}")
    for name, row in rows:
        rate = row["entries"] / row["seconds"]
        per_entry = row["peak_kib"] * 1024 / max(row["entries"], 1)
        print(
            f"{name:48} {rate:12,.0f} {rate / anchor_rate:7.2f} {row['peak_kib'] / 1024:8.0f} MiB"
            f" {per_entry / 1024:7.1f} KiB"
        )
    print("targets: MT940 import >= 1.5x, camt.053 import >= 1.0x the anchor; peak <= 3 KiB per entry")


if __name__ == "__main__":
    main()
